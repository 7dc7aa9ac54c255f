using System.Net.Http.Json;
using System.Text.Json;
using GitOrch.Agent.Images;
using GitOrch.Agent.Network;
using GitOrch.Agent.Pods;
using GitOrch.Agent.Runtimes;
using GitOrch.Core.AgentApi;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace GitOrch.Agent;

/// <summary>
/// A node agent. It keeps the node's desired pods on local disk (written before acting), watches
/// the controller for changes, runs the pods through its runtime drivers, restarts crashed ones,
/// and reports to the controller on every heartbeat. With the controller gone it keeps running
/// exactly the programmed pods, for days; a cold start comes back to them (re-adopting containers
/// that kept running, starting those that did not).
/// </summary>
public sealed partial class NodeAgent : IAsyncDisposable
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private readonly AgentOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _log;
    private readonly HttpClient _http;
    private readonly DesiredState _desired;
    private readonly Dictionary<string, IRuntimeDriver> _drivers;
    private readonly Dictionary<string, PodSupervisor> _pods = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _applying = new(1, 1);
    private readonly ILoggerFactory _logs;
    private WebApplication? _server;
    private FileStream? _lock;
    private long _revision = -1;
    private bool _controllerReachable = true;
    private string? _underlay;

    public NodeAgent(AgentOptions options, ILoggerFactory logs, TimeProvider time, IEnumerable<IRuntimeDriver>? drivers = null)
    {
        options = options with { StateDir = Path.GetFullPath(options.StateDir) }; // Containers run elsewhere; paths must not be relative.
        _options = options;
        _logs = logs;
        _time = time;
        _log = logs.CreateLogger("GitOrch.Agent");
        _http = new HttpClient { BaseAddress = new Uri(options.Server.TrimEnd('/') + "/"), Timeout = TimeSpan.FromSeconds(75) };
        _desired = new DesiredState(options.StateDir);
        Images = new ImageStore(Path.Combine(options.StateDir, "images"));
        Network = new NodeNetworking(options.StateDir, options.NetworkNamespace, logs.CreateLogger("GitOrch.Agent.Network"));
        _drivers = (drivers ?? [new ProcessDriver(), new RuncDriver(options.StateDir, Network)]).ToDictionary(d => d.Name);
    }

    /// <summary>The node's pod network: veths, routes to pods and to other nodes, forwarding, egress.</summary>
    public NodeNetworking Network { get; }

    /// <summary>The address this node reports as its underlay: <c>--address</c>, or the local address towards the controller.</summary>
    public string? UnderlayAddress => _options.UnderlayAddress ?? (_underlay ??= NodeNetworking.LocalAddressTowards(_http.BaseAddress!));

    public ImageStore Images { get; }

    public string? LogsUrl { get; private set; }

    /// <summary>The pods this agent supervises now.</summary>
    public IReadOnlyList<PodReport> Reports
    {
        get
        {
            lock (_pods)
            {
                return _pods.Values.Select(p => p.Report()).ToList();
            }
        }
    }

    /// <summary>Starts from the desired state on disk (no controller needed), then follows the controller until cancelled.</summary>
    public async Task RunAsync(CancellationToken ct)
    {
        // Traversable, not listable: process pods (uid 65534) and the runc user namespace's root
        // cross it to reach their own folders and the image store; everything in it is private.
        Storage.StateFiles.Folder(_options.StateDir, Storage.StateFiles.TraversableFolder);
        try
        {
            _lock = new FileStream(Path.Combine(_options.StateDir, "agent.lock"), Storage.StateFiles.PrivateWrite(FileMode.OpenOrCreate, FileAccess.ReadWrite));
        }
        catch (IOException)
        {
            throw new InvalidOperationException($"the agent state folder {_options.StateDir} is in use by another agent; give this one its own folder with --state");
        }

        await StartServerAsync(ct);
        if (LoadNetwork() is { } network)
        {
            await ApplyNetworkAsync(network, ct); // Routes to other nodes come back with no controller, like the pods.
        }

        if (_desired.Load() is { } desired)
        {
            LogColdStart(_log, desired.Pods.Count, desired.Revision);
            _revision = desired.Revision;
            await ApplyAsync(desired, ct);
        }

        await Task.WhenAll(WatchAsync(ct), HeartbeatAsync(ct));
    }

    private async Task WatchAsync(CancellationToken ct)
    {
        var failures = 0;
        while (!ct.IsCancellationRequested)
        {
            try
            {
                var set = await _http.GetFromJsonAsync<AssignmentSet>($"api/v1/nodes/{Uri.EscapeDataString(_options.Node)}/assignments?since={_revision}&wait=30", Json, ct);
                Reachable(true);
                failures = 0;
                if (set is not null && set.Revision != _revision)
                {
                    _desired.Save(set); // Durable before acting.
                    _revision = set.Revision;
                    await ApplyAsync(set, ct);
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or JsonException)
            {
                Reachable(false, ex.Message);
                failures++;
                await Delay(TimeSpan.FromSeconds(Math.Min(30, Math.Pow(2, Math.Min(failures, 5)))), ct);
            }
        }
    }

    private async Task HeartbeatAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            RotateLogs();
            try
            {
                var heartbeat = new NodeHeartbeat(_options.Node, _options.Labels, _options.CpuMillis, _options.MemoryBytes, Images.List(), await ReportsWithNetworkAsync(ct),
                    _drivers.Values.Where(d => d.Unavailable is null).Select(d => d.Name).ToList(), LogsUrl, UnderlayAddress, Network.PeerRoutes, Network.Problem);
                using var response = await _http.PostAsJsonAsync($"api/v1/nodes/{Uri.EscapeDataString(_options.Node)}/heartbeat", heartbeat, Json, ct);
                Reachable(response.IsSuccessStatusCode, $"HTTP {(int)response.StatusCode}");
                if (response.IsSuccessStatusCode && await response.Content.ReadFromJsonAsync<HeartbeatAnswer>(Json, ct) is { Network: { } network })
                {
                    await ApplyNetworkAsync(network, ct);
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
                Reachable(false, ex.Message);
            }
            catch (JsonException ex)
            {
                LogBadAnswer(_log, ex);
            }

            await Delay(_options.Heartbeat, ct);
        }
    }

    /// <summary>Takes the controller's view of the pod network (routes to peers, egress) and keeps a copy on disk for a cold start.</summary>
    public async Task ApplyNetworkAsync(NodeNetwork network, CancellationToken ct)
    {
        if (!NodeNetworking.Available)
        {
            return;
        }

        var changed = Network.Current != network && JsonSerializer.Serialize(Network.Current, Json) != JsonSerializer.Serialize(network, Json);
        await Network.ApplyAsync(network, ct);
        if (changed)
        {
            var path = Path.Combine(_options.StateDir, "network.json");
            await File.WriteAllTextAsync(path + ".tmp", JsonSerializer.Serialize(network, Json), ct);
            File.Move(path + ".tmp", path, overwrite: true);
        }
    }

    private NodeNetwork? LoadNetwork()
    {
        try
        {
            var path = Path.Combine(_options.StateDir, "network.json");
            return File.Exists(path) ? JsonSerializer.Deserialize<NodeNetwork>(File.ReadAllText(path), Json) : null;
        }
        catch (JsonException ex)
        {
            LogBadAnswer(_log, ex);
            return null;
        }
    }

    /// <summary>The pods' reports, each oci pod with an address carrying what the node sees of its network.</summary>
    public async Task<IReadOnlyList<PodReport>> ReportsWithNetworkAsync(CancellationToken ct)
    {
        List<PodSupervisor> pods;
        lock (_pods)
        {
            pods = [.. _pods.Values];
        }

        var reports = pods.Select(p => p.Report()).ToList();
        var networked = pods.Select((p, i) => (Index: i, p.Assignment))
            .Where(x => x.Assignment.PodIP is not null && IsOciWithPodNetwork(x.Assignment.Spec)).ToList();
        if (networked.Count > 0 && NodeNetworking.Available)
        {
            var seen = await Network.InspectPodsAsync([.. networked.Select(x => (x.Assignment.Pod, x.Assignment.PodIP!))], ct);
            for (var i = 0; i < networked.Count; i++)
            {
                reports[networked[i].Index] = reports[networked[i].Index] with { Network = seen[i] };
            }
        }

        return reports;
    }

    private static bool IsOciWithPodNetwork(JsonElement spec) =>
        (!spec.TryGetProperty("runtime", out var runtime) || runtime.GetString() is "oci" or "gvisor")
        && !(spec.TryGetProperty("security", out var security) && security.ValueKind == JsonValueKind.Object
            && security.TryGetProperty("hostNetwork", out var host) && host.ValueKind == JsonValueKind.True);

    /// <summary>Makes the node run exactly the pods of <paramref name="set"/>.</summary>
    public async Task ApplyAsync(AssignmentSet set, CancellationToken ct)
    {
        await _applying.WaitAsync(ct);
        try
        {
            var wanted = set.Pods.ToDictionary(p => p.Pod, StringComparer.Ordinal);
            List<PodSupervisor> gone;
            lock (_pods)
            {
                gone = _pods.Values.Where(p => !wanted.ContainsKey(p.Pod)).ToList();
                foreach (var p in gone)
                {
                    _pods.Remove(p.Pod);
                }
            }

            foreach (var pod in gone)
            {
                await pod.StopAsync(ct);
                await pod.DisposeAsync();
            }

            foreach (var assignment in set.Pods)
            {
                PodSupervisor? existing;
                lock (_pods)
                {
                    _pods.TryGetValue(assignment.Pod, out existing);
                }

                if (existing is not null)
                {
                    await existing.UpdateAsync(assignment, ct);
                    continue;
                }

                var supervisor = new PodSupervisor(assignment, _options.StateDir, name => _drivers.GetValueOrDefault(name), Images.Rootfs, _time, _logs.CreateLogger("GitOrch.Agent.Pods"));
                lock (_pods)
                {
                    _pods[assignment.Pod] = supervisor;
                }

                await supervisor.StartAsync(ct);
            }
        }
        finally
        {
            _applying.Release();
        }
    }

    /// <summary>The tail of a container's log file.</summary>
    public IReadOnlyList<string>? ContainerLog(string pod, string container, int lines)
    {
        PodSupervisor? supervisor;
        lock (_pods)
        {
            _pods.TryGetValue(pod, out supervisor);
        }

        return supervisor is null ? null : RotatingLog.Tail(supervisor.LogFile(container), lines);
    }

    private async Task StartServerAsync(CancellationToken ct)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls(_options.Listen);
        _server = builder.Build();
        _server.MapGet("/logs", (string pod, string container, int? tail) =>
            ContainerLog(pod, container, Math.Clamp(tail ?? 200, 1, 100_000)) is { } lines
                ? Results.Text(string.Join('\n', lines) + (lines.Count > 0 ? "\n" : string.Empty))
                : Results.NotFound($"pod {pod} does not run on node {_options.Node}"));
        await _server.StartAsync(ct);
        LogsUrl = _server.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
    }

    private void RotateLogs()
    {
        List<PodSupervisor> pods;
        lock (_pods)
        {
            pods = [.. _pods.Values];
        }

        foreach (var file in pods.SelectMany(p => Directory.Exists(Path.GetDirectoryName(p.LogFile("x"))) ? Directory.EnumerateFiles(Path.GetDirectoryName(p.LogFile("x"))!, "*.log") : []))
        {
            RotatingLog.RotateIfLarge(file);
        }
    }

    private void Reachable(bool reachable, string? why = null)
    {
        if (reachable == _controllerReachable)
        {
            return;
        }

        _controllerReachable = reachable;
        int count;
        lock (_pods)
        {
            count = _pods.Count;
        }

        if (reachable)
        {
            LogControllerBack(_log, _options.Server);
        }
        else
        {
            LogControllerGone(_log, _options.Server, why ?? "no answer", count);
        }
    }

    private async Task Delay(TimeSpan delay, CancellationToken ct)
    {
        try
        {
            await Task.Delay(delay, _time, ct);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // Stopping.
        }
    }

    public async ValueTask DisposeAsync()
    {
        List<PodSupervisor> pods;
        lock (_pods)
        {
            pods = [.. _pods.Values];
            _pods.Clear();
        }

        foreach (var pod in pods)
        {
            await pod.DisposeAsync(); // Pods keep running; the next agent re-adopts them.
        }

        if (_server is not null)
        {
            await _server.StopAsync();
            await _server.DisposeAsync();
        }

        _http.Dispose();
        _applying.Dispose();
        _lock?.Dispose();
    }

    /// <summary>Stops every pod (used when the node is being drained or in tests); the agent itself keeps running.</summary>
    public async Task StopAllAsync(CancellationToken ct) => await ApplyAsync(new AssignmentSet(_options.Node, _revision, []), ct);

    [LoggerMessage(Level = LogLevel.Information, Message = "Cold start: {Count} pod(s) from the desired state on disk (revision {Revision})")]
    private static partial void LogColdStart(ILogger logger, int count, long revision);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Controller {Server} unreachable ({Reason}); keeping {Count} pod(s) running from the desired state on disk")]
    private static partial void LogControllerGone(ILogger logger, string server, string reason, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The controller's answer or the saved network state is not valid JSON; ignored")]
    private static partial void LogBadAnswer(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Information, Message = "Controller {Server} reachable again")]
    private static partial void LogControllerBack(ILogger logger, string server);
}
