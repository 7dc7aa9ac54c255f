using System.Text.Json;
using GitOrch.Agent.Pods;
using GitOrch.Agent.Tests.Support;
using GitOrch.Core.AgentApi;

namespace GitOrch.Agent.Tests.Pods;

/// <summary>The node's programmed pods on local disk: what a cold start comes back to.</summary>
public sealed class DesiredStateTests : IDisposable
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private readonly TempDir _dir = new("gitorch-desired");

    public void Dispose() => _dir.Dispose();

    private string FilePath => _dir.Combine(DesiredState.FileName);

    private static AssignmentSet Set(long revision, string greeting = "hello") => new("node-a", revision,
    [
        new PodAssignment(
            "Pod/demo/worker",
            "gen-" + revision,
            JsonDocument.Parse($$$"""{"runtime":"process","containers":[{"name":"main","command":["/bin/sh","-c","echo $(PORT_HTTP)"],"env":{"GREETING":"{{{greeting}}}"}}]}""").RootElement.Clone(),
            "fd67:6974:6f72:1::5",
            new Dictionary<string, int> { ["http"] = 30000 },
            10),
    ]);

    [Fact]
    public void Load_WithNothingSaved_IsNull()
    {
        Assert.Null(new DesiredState(_dir.Path).Load());
    }

    [Fact]
    public void SaveThenLoad_RoundTripsEveryField()
    {
        var saved = Set(7);

        new DesiredState(_dir.Path).Save(saved);
        var loaded = new DesiredState(_dir.Path).Load()!;

        Assert.Equal(JsonSerializer.Serialize(saved, Json), JsonSerializer.Serialize(loaded, Json));
        var pod = Assert.Single(loaded.Pods);
        Assert.Equal(("node-a", 7L, "Pod/demo/worker", "gen-7", "fd67:6974:6f72:1::5", 30000, 10), (loaded.Node, loaded.Revision, pod.Pod, pod.Generation, pod.PodIP, pod.Ports["http"], pod.GracePeriodSeconds));
        Assert.Equal("hello", pod.Spec.GetProperty("containers")[0].GetProperty("env").GetProperty("GREETING").GetString());
    }

    [Fact]
    public void Save_CreatesTheStateFolder()
    {
        var state = _dir.Combine("not", "yet");

        new DesiredState(state).Save(Set(1));

        Assert.Equal(1, new DesiredState(state).Load()!.Revision);
    }

    [Fact]
    public void Save_ReplacesTheWholeFile_LeavingNoTemporaryFile()
    {
        var desired = new DesiredState(_dir.Path);
        desired.Save(Set(1, greeting: "a much longer greeting than the next one"));

        desired.Save(Set(2, greeting: "hi"));

        Assert.Equal(2, desired.Load()!.Revision);
        Assert.Equal([DesiredState.FileName], Directory.EnumerateFiles(_dir.Path).Select(Path.GetFileName));
    }

    [Fact]
    public void AHalfWrittenTemporaryFile_FromACrash_DoesNotReplaceTheLastGoodState()
    {
        var desired = new DesiredState(_dir.Path);
        desired.Save(Set(1));
        File.WriteAllText(FilePath + ".tmp", "{\"node\":\"node-a\",\"revi"); // The agent died mid-write.

        Assert.Equal(1, desired.Load()!.Revision);
        desired.Save(Set(2));
        Assert.Equal(2, desired.Load()!.Revision);
        Assert.False(File.Exists(FilePath + ".tmp"));
    }

    [Fact]
    public void ACorruptFile_IsReported_SayingWhatToDo()
    {
        File.WriteAllText(FilePath, "{not json");

        var error = Assert.Throws<InvalidDataException>(() => new DesiredState(_dir.Path).Load());

        Assert.StartsWith($"{FilePath} cannot be read (", error.Message, StringComparison.Ordinal);
        Assert.EndsWith("); move it aside to start with no pods until the controller answers", error.Message, StringComparison.Ordinal);
    }
}
