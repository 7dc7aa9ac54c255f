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
        Listen = "http://127.0.0.1:0",
        Nodes = nodes,
    };

    public static Task<ControllerService> OpenAsync(ControllerOptions options) =>
        ControllerService.OpenAsync(options, NullLoggerFactory.Instance, TimeProvider.System, CancellationToken.None);

    public static Task<ControllerService> OpenAsync(string repo, string stateDir, params NodeInfo[] nodes) =>
        OpenAsync(Options(repo, stateDir, nodes));

    /// <summary>One cycle that must succeed (the source must be readable).</summary>
    public static async Task SyncAsync(this ControllerService controller)
    {
        var ok = await controller.SyncOnceAsync(CancellationToken.None);
        Assert.True(ok, $"sync failed: {controller.Status.LastError}");
    }

    public static NodeInfo Node(string name, long cpuMillis = 2000, long memoryBytes = 1L << 30, IReadOnlyDictionary<string, string>? labels = null) =>
        new(name, labels ?? new Dictionary<string, string>(), cpuMillis, memoryBytes);

    public static ObjectRef PodRef(string name, string ns = "demo") => new("Pod", ns, name);
}
