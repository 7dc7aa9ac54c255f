using System.Text.Json.Nodes;
using GitOrch.Agent.Tests.Support;

namespace GitOrch.Agent.Tests.Runtimes;

/// <summary>
/// A process pod runs under the runtime's default seccomp filter, like oci pods and exec loops:
/// a call that reaches into the kernel (here unshare, which root could otherwise make) is refused;
/// security.seccomp: Unconfined (an exception in a real cluster) turns the filter off.
/// </summary>
public sealed class ProcessSeccompTests : IAsyncLifetime
{
    private readonly SupervisorScope _scope = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => _scope.DisposeAsync().AsTask();

    [AsRootFact]
    public async Task AProcessPod_CannotUnshare_UnderTheDefaultFilter()
    {
        var log = await RunAsync(TestPods.ProcessSpec(Script()), "filtered");

        Assert.Contains("unshare failed: Operation not permitted", log, StringComparison.Ordinal);
        Assert.Contains("rc=1", log, StringComparison.Ordinal);
    }

    [AsRootFact]
    public async Task AnUnconfinedProcessPod_CanUnshare_SoTheFilterIsWhatRefusedIt()
    {
        var spec = TestPods.ProcessSpec(Script());
        spec["security"] = new JsonObject { ["runAsUser"] = 0, ["seccomp"] = "Unconfined" };

        var log = await RunAsync(spec, "unconfined");

        Assert.Contains("rc=0", log, StringComparison.Ordinal);
    }

    private string Script() => $"unshare --user true; echo rc=$?; while true; do sleep 1; done # {_scope.Marker}";

    private async Task<string> RunAsync(JsonObject spec, string name)
    {
        var supervisor = await _scope.StartAsync(TestPods.Assignment(TestPods.Key(name), "g1", spec));
        await TestPods.RunningAsync(supervisor);
        return await Eventually.Until(() => TestPods.ReadLog(supervisor), l => l.Contains("rc=", StringComparison.Ordinal), "the pod to try unshare");
    }
}
