using System.Text.Json.Nodes;
using GitOrch.Agent.Tests.Support;

namespace GitOrch.Agent.Tests.Runtimes;

/// <summary>
/// The node never changes a host path it did not create: a process pod's named workingDir keeps its
/// owner and mode (with real processes, as root, where the agent could change them).
/// </summary>
public sealed class HostSafetyTests : IAsyncLifetime
{
    private readonly SupervisorScope _scope = new();
    private readonly TempDir _host = new("gitorch-host");

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        await _scope.DisposeAsync();
        _host.Dispose();
    }

    private static JsonObject WithWorkingDir(JsonObject spec, string dir)
    {
        spec["containers"]![0]!["workingDir"] = dir;
        return spec;
    }

    [RootFact]
    public async Task ANamedWorkingDir_OwnedBySomeoneElse_KeepsItsOwnerAndMode()
    {
        // Like /etc: a host folder owned by another user, with a file in it.
        var etc = _host.Combine("etc");
        Directory.CreateDirectory(etc);
        var passwd = Path.Combine(etc, "passwd");
        await File.WriteAllTextAsync(passwd, "root:x:0:0\n");
        Shell.Run("chown", "-R", "4321:4321", etc);
        File.SetUnixFileMode(etc, (UnixFileMode)0b111_101_101);
        File.SetUnixFileMode(passwd, (UnixFileMode)0b110_100_100);
        File.SetUnixFileMode(_host.Path, (UnixFileMode)0b111_101_101);
        var before = Shell.Run("stat", "-c", "%u:%g %a", etc, passwd);

        var spec = WithWorkingDir(TestPods.ProcessSpec($"pwd; touch mine 2>&1; while true; do sleep 1; done # {_scope.Marker}"), etc);
        var supervisor = await _scope.StartAsync(TestPods.Assignment(TestPods.Key("etc"), "g1", spec));
        await TestPods.RunningAsync(supervisor);
        var log = await Eventually.Until(() => TestPods.ReadLog(supervisor), l => l.Contains("touch", StringComparison.Ordinal), "the pod to try writing");

        Assert.StartsWith(etc + "\n", log, StringComparison.Ordinal);
        Assert.Contains("Permission denied", log, StringComparison.Ordinal); // still not the pod's to write
        Assert.Equal(before, Shell.Run("stat", "-c", "%u:%g %a", etc, passwd));
        Assert.Equal("4321:4321 755\n4321:4321 644\n", before);
    }

    [Fact]
    public async Task AMissingNamedWorkingDir_FailsThePod_SayingSo_AndIsNotCreated()
    {
        var missing = _host.Combine("no-such-dir");
        var spec = WithWorkingDir(TestPods.ProcessSpec($"pwd # {_scope.Marker}"), missing);
        var supervisor = await _scope.StartAsync(TestPods.Assignment(TestPods.Key("missing"), "g1", spec));

        var report = await Eventually.Until(supervisor.Report, r => r.Phase == "Failed", "the pod to fail");

        Assert.Equal($"container main: workingDir {missing} does not exist on this node; the node never creates or changes a host folder a pod names: create it with the owner and mode the pod needs, or remove workingDir to get a folder of the pod's own", report.Message);
        Assert.False(Directory.Exists(missing));
    }
}
