using GitOrch.Agent.Images;
using GitOrch.Agent.Pods;
using GitOrch.Agent.Tests.Support;
using GitOrch.Core.AgentApi;

namespace GitOrch.Agent.Tests.Pods;

/// <summary>
/// The agent's state on disk: files 0600 (the desired state holds env values), folders that a
/// sandboxed process must cross (to its own working folder, or the image store the runc user
/// namespace's root mounts) 0711: traversable, not listable.
/// </summary>
public sealed class StateModesTests : IAsyncLifetime
{
    private readonly SupervisorScope _scope = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _scope.DisposeAsync();

    private static string Mode(string path) => Convert.ToString((int)File.GetUnixFileMode(path), 8);

    [Fact]
    public void TheDesiredState_IsWrittenPrivate()
    {
        var state = _scope.State.Combine("agent");
        var pod = TestPods.Assignment(TestPods.Key("secret"), "g1", TestPods.ProcessSpec("true", env: new Dictionary<string, string> { ["DB_PASSWORD"] = "hunter2" }));
        new DesiredState(state).Save(new AssignmentSet("node-a", 1, [pod]));

        Assert.Equal("711", Mode(state));
        Assert.Equal("600", Mode(Path.Combine(state, DesiredState.FileName)));
        Assert.Contains("hunter2", File.ReadAllText(Path.Combine(state, DesiredState.FileName)), StringComparison.Ordinal);
    }

    [Fact]
    public void ADesiredStateWrittenOpen_IsTightenedWhenLoaded()
    {
        var state = _scope.State.Combine("old-agent");
        new DesiredState(state).Save(new AssignmentSet("node-a", 1, []));
        var path = Path.Combine(state, DesiredState.FileName);
        File.SetUnixFileMode(path, (UnixFileMode)0b110_100_100);

        Assert.NotNull(new DesiredState(state).Load());

        Assert.Equal("600", Mode(path));
    }

    [Fact]
    public async Task PodFolders_AreTraversable_AndLogsPrivate()
    {
        var supervisor = await _scope.StartAsync(TestPods.Assignment(TestPods.Key("modes"), "g1", TestPods.ProcessSpec($"echo hi; while true; do sleep 1; done # {_scope.Marker}")));
        await TestPods.RunningAsync(supervisor);
        var podDir = Path.GetDirectoryName(supervisor.LogFile("main"))!;

        Assert.Equal("711", Mode(Path.GetDirectoryName(podDir)!));
        Assert.Equal("711", Mode(podDir));
        Assert.Equal("600", Mode(supervisor.LogFile("main")));
        Assert.Equal("700", Mode(Path.Combine(podDir, "main", "work")));
    }

    [Fact]
    public async Task TheImageStore_IsTraversable_NotListable()
    {
        var source = Directory.CreateDirectory(_scope.State.Combine("src", "bin")).Parent!.FullName;
        await File.WriteAllTextAsync(Path.Combine(source, "bin", "tool"), "#!/bin/sh\n");
        var images = _scope.State.Combine("agent", "images");

        var store = new ImageStore(images);
        var info = await store.ImportAsync("tools:1", source, CancellationToken.None);

        Assert.Equal("711", Mode(images));
        var tagDir = Path.GetDirectoryName(store.Rootfs("tools:1"))!;
        Assert.Equal("711", Mode(tagDir));
        Assert.Equal("711", Mode(Path.GetDirectoryName(tagDir)!));
        Assert.Equal("tools:1", info.Image);
    }
}
