using GitOrch.Controller.Nodes;
using GitOrch.Core.Diagnostics;
using Microsoft.Extensions.Logging.Abstractions;

namespace GitOrch.Controller.Tests.Support;

/// <summary>Opens real controllers (real git, real SQLite) whose background loop would poll only hourly.</summary>
internal static class Controllers
{
    public static ControllerOptions Options(string repo, string stateDir, params NodeInfo[] nodes) => new()
    {
        Repo = repo,
        StateDir = stateDir,
        Poll = TimeSpan.FromHours(1),
        Listen = "https://127.0.0.1:0",
        Nodes = nodes,
    };

    public static Task<ControllerService> OpenAsync(ControllerOptions options) =>
        ControllerService.OpenAsync(options, NullLoggerFactory.Instance, TimeProvider.System, CancellationToken.None);

    public static Task<ControllerService> OpenAsync(string repo, string stateDir, params NodeInfo[] nodes) =>
        OpenAsync(Options(repo, stateDir, nodes));

    /// <summary>One cycle that must succeed (the source must be readable).</summary>
    /// <summary>One cycle, then waits until no workflow step is running (placements done, or waiting).</summary>
    public static async Task SyncAsync(this ControllerService controller)
    {
        var ok = await controller.SyncOnceAsync(CancellationToken.None);
        Assert.True(ok, $"sync failed: {controller.Status.LastError}");
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await controller.Workflows.Engine.WhenQuietAsync(limit.Token);

        // What the steps wrote after the cycle's mirror step is mirrored now, as the mirror service would.
        await controller.MirrorService.RunOnceAsync(limit.Token);
    }

    /// <summary>Waits (up to 20 s) for something the controller does on its own, such as a step the test woke.</summary>
    public static async Task UntilAsync(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"timed out waiting until {what}");
            await Task.Delay(20);
        }
    }

    /// <summary>The scheduler step's message for a pod (why it is placed, or why it is not).</summary>
    public static string? SchedulerMessage(this ControllerService controller, ObjectRef pod) =>
        controller.Workflows.Engine.Current(pod)?.Find("scheduler")?.Message;

    public static NodeInfo Node(string name, long cpuMillis = 2000, long memoryBytes = 1L << 30, IReadOnlyDictionary<string, string>? labels = null) =>
        new(name, labels ?? new Dictionary<string, string>(), cpuMillis, memoryBytes);

    public static ObjectRef PodRef(string name, string ns = "demo") => new("Pod", ns, name);
}
