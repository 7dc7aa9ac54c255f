using System.Text.Json;
using GitOrch.Agent.Images;
using GitOrch.Agent.Network;
using GitOrch.Agent.Pods;
using GitOrch.Agent.Runtimes;
using GitOrch.Agent.Trust;
using GitOrch.Contracts.Agent;
using GitOrch.Contracts.Replication;
using GitOrch.Contracts.Trust;
using GitOrch.Core.AgentApi;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.Extensions.Logging;
using AssignmentSet = GitOrch.Core.AgentApi.AssignmentSet;
using NodeHeartbeat = GitOrch.Core.AgentApi.NodeHeartbeat;
using PodReport = GitOrch.Core.AgentApi.PodReport;

namespace GitOrch.Agent;

/// <summary>
/// A node agent. It keeps the node's desired pods on local disk (written before acting), watches
/// the controller for changes, runs the pods through its runtime drivers, restarts crashed ones,
/// and reports to the controller on every heartbeat. With the controller gone it keeps running
/// exactly the programmed pods, for days; a cold start comes back to them (re-adopting containers
/// that kept running, starting those that did not). It talks to the controller only over gRPC with
/// mutual TLS: its node certificate proves who it is, and it obeys only a server whose certificate
/// chains to the cluster CA it pinned when it joined.
/// </summary>
public sealed partial class NodeAgent : IAsyncDisposable
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private readonly AgentOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _log;
    private readonly IReadOnlyList<string> _servers;
    private readonly DesiredState _desired;
    private readonly Dictionary<string, IRuntimeDriver> _drivers;
    private readonly Dictionary<string, PodSupervisor> _pods = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _applying = new(1, 1);
    private readonly ILoggerFactory _logs;
    private AgentIdentity? _identity;
    private GrpcChannel? _channel;
    private NodeService.NodeServiceClient? _client;
    private readonly Lock _switching = new();
    private string _server;
    private string? _connectedTo;
    private string? _lastRefusal;
    private string? _lastRefusedPods;
    private FileStream? _lock;
    private long _revision = -1;
    private bool _controllerReachable = true;
    private bool _reaped;
    private volatile TaskCompletionSource _podChanged = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private TaskCompletionSource _settling = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Dictionary<string, NetworkLook> _networkLooks = new(StringComparer.Ordinal);
    private string? _underlay;

    public NodeAgent(AgentOptions options, ILoggerFactory logs, TimeProvider time, IEnumerable<IRuntimeDriver>? drivers = null)
    {
        options = options with { StateDir = Path.GetFullPath(options.StateDir) }; // Containers run elsewhere; paths must not be relative.
        _options = options;
        _logs = logs;
        _time = time;
        _log = logs.CreateLogger("GitOrch.Agent");
        _servers = options.Server.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        _server = _servers[0];
        _desired = new DesiredState(options.StateDir);
        Images = new ImageStore(Path.Combine(options.StateDir, "images"));
        Network = new NodeNetworking(options.StateDir, options.NetworkNamespace, logs.CreateLogger("GitOrch.Agent.Network"));
        _drivers = (drivers ?? [new ProcessDriver(), new RuncDriver(options.StateDir, Network), RuncDriver.Gvisor(options.StateDir, Network)]).ToDictionary(d => d.Name);
    }

    /// <summary>The node's pod network: veths, routes to pods and to other nodes, forwarding, egress.</summary>
    public NodeNetworking Network { get; }

    /// <summary>The address this node reports as its underlay: <c>--address</c>, or the local address towards the controller.</summary>
    public string? UnderlayAddress => _options.UnderlayAddress ?? (_underlay ??= NodeNetworking.LocalAddressTowards(new Uri(Server)));

    public ImageStore Images { get; }

    /// <summary>The controller this agent talks to now: the first of --server that answers, or the leader a follower replica named.</summary>
    public string Server
    {
        get
        {
            lock (_switching)
            {
                return _server;
            }
        }
    }

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

        _identity = await IdentityAsync(ct);
        Connect();
        await Task.WhenAll(WatchAsync(ct), HeartbeatAsync(ct), LogChannelAsync(ct));
    }

    /// <summary>The node certificate from the state folder, or (first start) a join with --join.</summary>
    private async Task<AgentIdentity> IdentityAsync(CancellationToken ct)
    {
        if (AgentIdentity.Exists(_options.StateDir))
        {
            var identity = AgentIdentity.Load(_options.StateDir);
            var node = identity.Node;
            if (node != _options.Node)
            {
                identity.Dispose();
                throw new InvalidOperationException($"the state folder {_options.StateDir} holds the certificate of node {node}, not {_options.Node}; use --node {node}, or give this node its own --state");
            }

            return identity;
        }

        if (_options.JoinToken is null)
        {
            throw new InvalidOperationException($"this agent has not joined a cluster (no node certificate in {AgentIdentity.Folder(_options.StateDir)}); start it once with --join TOKEN (an admin prints one with `gitorch node token`)");
        }

        var failures = 0;
        while (true)
        {
            try
            {
                var identity = await AgentJoin.JoinAsync(Server, _options.JoinToken, _options.Node, _options.StateDir, ct);
                LogJoined(_log, _options.Node, Server, CaTrust.Sha256Hex(identity.Ca), identity.Certificate.NotAfter);
                return identity;
            }
            catch (JoinException ex) when (ex.Transient)
            {
                LogJoinRetry(_log, ex.Message);
                var server = Server;
                if (ex.Leader is null || !MoveToLeader(server, ex.Leader))
                {
                    Next(server);
                }

                failures++;
                await Task.Delay(RetryDelay(failures), _time, ct);
            }
        }
    }

    /// <summary>A channel to the current server that presents the node certificate and trusts only the pinned CA.</summary>
    private void Connect()
    {
        _channel?.Dispose();
        var server = _server; // Under _switching, or before the loops start.
        _connectedTo = server;
        var handler = CaTrust.Handler(_identity!.Ca, _identity.Certificate, why =>
        {
            if (why != _lastRefusal)
            {
                _lastRefusal = why;
                LogServerRefused(_log, server, why);
            }
        });
        handler.KeepAlivePingDelay = TimeSpan.FromSeconds(15);
        handler.KeepAlivePingTimeout = TimeSpan.FromSeconds(10);
        handler.EnableMultipleHttp2Connections = true;
        _channel = GrpcChannel.ForAddress(server, new GrpcChannelOptions { HttpHandler = handler, DisposeHttpClient = true });
        _client = new NodeService.NodeServiceClient(_channel);
    }

    /// <summary>Moves to the next server of --server after <paramref name="from"/> (unless another call moved already).</summary>
    private bool Next(string from)
    {
        lock (_switching)
        {
            if (_server != from || (_servers.Count < 2 && _servers.Contains(from, StringComparer.Ordinal)))
            {
                return false;
            }

            var index = _servers.ToList().FindIndex(s => LeaderHint.SameServer(s, from));
            _server = _servers[(index + 1) % _servers.Count]; // From a named leader not in the list: the first of the list.
            return true;
        }
    }

    /// <summary>
    /// Moves to the leader a follower named, if its URL is https (the pinned CA then decides whether
    /// it is this cluster's: the channel refuses any other certificate before the node says anything).
    /// </summary>
    private bool MoveToLeader(string from, string leader)
    {
        if (!LeaderHint.IsFollowable(leader, out var why))
        {
            LogLeaderNotFollowed(_log, from, why!);
            return false;
        }

        lock (_switching)
        {
            if (_server != from || LeaderHint.SameServer(from, leader))
            {
                return false;
            }

            _server = _servers.FirstOrDefault(s => LeaderHint.SameServer(s, leader)) ?? leader.TrimEnd('/');
        }

        LogMovingToLeader(_log, from, leader);
        return true;
    }

    /// <summary>After a failed call on <paramref name="client"/>: to the named leader, or (no answer, no leader known) the next server.</summary>
    private void Failover(NodeService.NodeServiceClient? client, RpcException ex)
    {
        string from;
        lock (_switching)
        {
            if (!ReferenceEquals(client, _client) || _connectedTo is null)
            {
                return; // Another loop moved already.
            }

            from = _connectedTo;
        }

        var moved = ex.StatusCode == StatusCode.FailedPrecondition && ex.Trailers.GetValue(LeaderHint.AgentUrlTrailer) is { } leader
            ? MoveToLeader(from, leader) || Next(from)
            : ex.StatusCode == StatusCode.Unavailable && Next(from);
        if (moved)
        {
            lock (_switching)
            {
                if (ReferenceEquals(client, _client))
                {
                    Connect();
                }
            }
        }
    }

    private async Task WatchAsync(CancellationToken ct)
    {
        var failures = 0;
        while (!ct.IsCancellationRequested)
        {
            var client = _client;
            try
            {
                using var call = client!.WatchAssignments(new WatchRequest { Node = _options.Node, Since = _revision }, cancellationToken: ct);
                await foreach (var message in call.ResponseStream.ReadAllAsync(ct))
                {
                    Reachable(true);
                    failures = 0;
                    var set = message.FromProto();
                    if (set.Revision != _revision)
                    {
                        _desired.Save(set); // Durable before acting.
                        _revision = set.Revision;
                        await ApplyAsync(set, ct);
                    }
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (RpcException ex) when (ex.StatusCode == StatusCode.Cancelled && ct.IsCancellationRequested)
            {
                return;
            }
            catch (RpcException ex)
            {
                Unreachable(client, ex);
                failures++;
                await Delay(RetryDelay(failures), ct);
            }
        }
    }

    private async Task HeartbeatAsync(CancellationToken ct)
    {
        var soon = false;
        long? lastFull = null;
        while (!ct.IsCancellationRequested)
        {
            // Logs are rotated and the network looked at again at the heartbeat's period, not for each
            // pod's change; reports for changes that come faster than the period do not put that off.
            var full = !soon || lastFull is not { } at || _time.GetElapsedTime(at) >= _options.Heartbeat;
            if (full)
            {
                lastFull = _time.GetTimestamp();
                RotateLogs();
            }

            var client = _client;
            try
            {
                var heartbeat = new NodeHeartbeat(_options.Node, _options.Labels, _options.CpuMillis, _options.MemoryBytes, Images.List(), await ReportsWithNetworkAsync(ct, lookAgain: full),
                    _drivers.Values.Where(d => d.Unavailable is null).Select(d => d.Name).ToList(), UnderlayAddress, Network.PeerRoutes, Network.Problem, _options.StateDir);
                var ack = await client!.HeartbeatAsync(heartbeat.ToProto(), deadline: DateTime.UtcNow.AddSeconds(10), cancellationToken: ct);
                Reachable(true);
                var refused = string.Join(", ", ack.RefusedPods);
                if (refused.Length > 0 && refused != _lastRefusedPods)
                {
                    LogPodsRefused(_log, ack.Message);
                }

                _lastRefusedPods = refused;
                if (ack.Network() is { } network)
                {
                    await ApplyNetworkAsync(network, ct);
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (RpcException ex) when (ex.StatusCode == StatusCode.Cancelled && ct.IsCancellationRequested)
            {
                return;
            }
            catch (RpcException ex)
            {
                Unreachable(client, ex);
            }
            catch (JsonException ex)
            {
                LogBadAnswer(_log, ex);
            }

            soon = await NextHeartbeatAsync(ct);
        }
    }

    /// <summary>
    /// How long a report waits at most after a pod's change for the change to settle (every pod's
    /// containers started or given up on, no assignment being applied), so that the changes of one
    /// moment (a pod stopped and started again, its containers starting) go in one report. A change
    /// that has settled is reported at once.
    /// </summary>
    public static readonly TimeSpan ReportGather = TimeSpan.FromMilliseconds(10);

    /// <summary>Asks for a heartbeat now: a pod's state changed (the controller learns of it at once, not at the next beat).</summary>
    private void ReportSoon()
    {
        _podChanged.TrySetResult();
        Poke();
    }

    /// <summary>Something that decides whether the pods have settled changed: a gathering report looks again.</summary>
    private void Poke() => Interlocked.Exchange(ref _settling, new(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();

    /// <summary>Whether no pod is between states: no assignment is being applied, and every container runs, waits in its backoff, exited or failed.</summary>
    private bool Settled()
    {
        if (_applying.CurrentCount == 0)
        {
            return false;
        }

        lock (_pods)
        {
            return _pods.Values.All(p => p.Settled);
        }
    }

    /// <summary>Waits until the pods have settled (<see cref="Settled"/>), at most <see cref="ReportGather"/>.</summary>
    private async Task GatherAsync(CancellationToken ct)
    {
        using var gather = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var limit = Task.Delay(ReportGather, _time, gather.Token);
        try
        {
            while (true)
            {
                var poked = Volatile.Read(ref _settling).Task; // Taken before the look: a change after it completes this task.
                if (Settled() || await Task.WhenAny(limit, poked) == limit)
                {
                    ct.ThrowIfCancellationRequested();
                    return;
                }
            }
        }
        finally
        {
            await gather.CancelAsync(); // The limit's timer goes with it.
        }
    }

    /// <summary>
    /// Waits for the heartbeat period, or less when a pod's state changes (then until the change
    /// settles, at most <see cref="ReportGather"/>). True when a pod's change ended the wait.
    /// </summary>
    private async Task<bool> NextHeartbeatAsync(CancellationToken ct)
    {
        var changed = _podChanged.Task;
        using var beat = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var delay = Task.Delay(_options.Heartbeat, _time, beat.Token);
        try
        {
            if (await Task.WhenAny(delay, changed) != changed)
            {
                await delay; // The period is over (or the agent stops).
                return false;
            }

            await beat.CancelAsync();
            _podChanged = new(TaskCreationOptions.RunContinuationsAsynchronously); // A change from here on asks for the next report.
            await GatherAsync(ct);
            return true;
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            return false; // Stopping.
        }
    }

    /// <summary>Answers the controller's log requests on the agent's own channel (the controller never dials the node).</summary>
    private async Task LogChannelAsync(CancellationToken ct)
    {
        var failures = 0;
        while (!ct.IsCancellationRequested)
        {
            var client = _client;
            try
            {
                using var call = client!.LogChannel(cancellationToken: ct);
                await call.RequestStream.WriteAsync(new LogReply(), ct); // Hello: the channel is open.
                failures = 0;
                await foreach (var request in call.ResponseStream.ReadAllAsync(ct))
                {
                    var lines = ContainerLog(request.Pod, request.Container, Math.Clamp(request.Tail, 1, 100_000));
                    var reply = new LogReply { Id = request.Id, Found = lines is not null, Message = lines is null ? $"pod {request.Pod} does not run on node {_options.Node}" : string.Empty };
                    if (lines is not null)
                    {
                        reply.Lines.Add(lines);
                    }

                    await call.RequestStream.WriteAsync(reply, ct);
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (RpcException ex) when (ex.StatusCode == StatusCode.Cancelled && ct.IsCancellationRequested)
            {
                return;
            }
            catch (RpcException ex)
            {
                Failover(client, ex);
                failures++;
            }
            catch (InvalidOperationException)
            {
                failures++; // The call ended while writing.
            }

            await Delay(RetryDelay(failures), ct);
        }
    }

    private void Unreachable(NodeService.NodeServiceClient? client, RpcException ex)
    {
        var why = ex.StatusCode is StatusCode.PermissionDenied or StatusCode.Unauthenticated
            ? $"it refused this node: {ex.Status.Detail}"
            : _lastRefusal is not null && ex.Status.Detail.Contains("SSL", StringComparison.OrdinalIgnoreCase) ? _lastRefusal : ex.Status.Detail;
        Reachable(false, why);
        Failover(client, ex);
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

    /// <summary>
    /// The pods' reports, each oci pod with an address carrying what the node sees of its network.
    /// With <paramref name="lookAgain"/> false (a report made at once for a pod's change), a pod
    /// whose sandbox the last look saw healthy (the same address and sandbox, the look less than a
    /// heartbeat old) keeps that look: looking runs two commands, which would delay the report of a
    /// restart in place, whose network did not change. Other pods are looked at now.
    /// </summary>
    public async Task<IReadOnlyList<PodReport>> ReportsWithNetworkAsync(CancellationToken ct, bool lookAgain = true)
    {
        List<PodSupervisor> pods;
        lock (_pods)
        {
            pods = [.. _pods.Values];
        }

        var sandboxes = pods.Select(p => p.Sandbox).ToList(); // Before the reports: a look is kept only if its sandbox stayed throughout.
        var reports = pods.Select(p => p.Report()).ToList();
        var networked = pods.Select((p, i) => (Index: i, p.Assignment, Sandbox: sandboxes[i], Pod: p))
            .Where(x => x.Assignment.PodIP is not null && IsOciWithPodNetwork(x.Assignment.Spec)).ToList();
        if (networked.Count == 0 || !NodeNetworking.Available)
        {
            return reports;
        }

        var looks = Volatile.Read(ref _networkLooks);
        bool Keeps(NetworkLook look, string? address, long sandbox) =>
            look.Address == address && look.Sandbox == sandbox && _time.GetElapsedTime(look.At) < _options.Heartbeat;
        var unseen = networked.Where(x => lookAgain || !(looks.TryGetValue(x.Assignment.Pod, out var look) && Keeps(look, x.Assignment.PodIP, x.Sandbox))).ToList();
        var at = _time.GetTimestamp();
        var seen = unseen.Count == 0 ? [] : await Network.InspectPodsAsync([.. unseen.Select(x => (x.Assignment.Pod, x.Assignment.PodIP!))], ct);
        var fresh = unseen.Select((x, i) => new NetworkLook(x.Assignment.Pod, x.Assignment.PodIP, x.Sandbox, at, seen[i])).ToDictionary(x => x.Pod, StringComparer.Ordinal);
        var next = new Dictionary<string, NetworkLook>(StringComparer.Ordinal);
        foreach (var x in networked)
        {
            if (!fresh.TryGetValue(x.Assignment.Pod, out var look))
            {
                look = looks[x.Assignment.Pod]; // Kept: seen healthy by a recent look, with the same sandbox.
                next[x.Assignment.Pod] = look;
            }
            else if (reports[x.Index].Phase == "Running" && x.Pod.Sandbox == x.Sandbox && look.Report is { InterfacePresent: true, RoutePresent: true, Problem: null })
            {
                // Only a healthy look of a running pod whose sandbox stayed while it was taken is kept:
                // one taken while the sandbox was being made or torn down may have seen it half there.
                next[x.Assignment.Pod] = look;
            }

            reports[x.Index] = reports[x.Index] with { Network = look.Report };
        }

        Volatile.Write(ref _networkLooks, next);
        return reports;
    }

    /// <summary>What a look at the node's network saw of a pod, with the address and sandbox it saw.</summary>
    private sealed record NetworkLook(string Pod, string? Address, long Sandbox, long At, PodNetworkReport Report);

    /// <summary>How long to wait before the next try after <paramref name="failures"/> failures in a row: 2^failures seconds, at most 30.</summary>
    private static TimeSpan RetryDelay(int failures) => TimeSpan.FromSeconds(Math.Min(30, Math.Pow(2, Math.Min(failures, 5))));

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

            if (!_reaped)
            {
                // The first set this agent applies: containers an earlier agent left running for pods
                // that are no longer assigned here are stopped with the runtime that started them.
                _reaped = true;
                var kept = wanted.Keys.Select(PodSupervisor.Escape).ToHashSet(StringComparer.Ordinal);
                var pods = Path.Combine(_options.StateDir, "pods");
                foreach (var folder in Directory.Exists(pods) ? Directory.EnumerateDirectories(pods) : [])
                {
                    if (!kept.Contains(Path.GetFileName(folder)))
                    {
                        await PodSupervisor.ReapAsync(folder, name => _drivers.GetValueOrDefault(name), _log, ct);
                    }
                }
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

                var supervisor = new PodSupervisor(assignment, _options.StateDir, name => _drivers.GetValueOrDefault(name), Images.Rootfs, _time, _logs.CreateLogger("GitOrch.Agent.Pods"))
                {
                    Changed = ReportSoon,
                };
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
            Poke();
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

    private void RotateLogs()
    {
        List<PodSupervisor> pods;
        lock (_pods)
        {
            pods = [.. _pods.Values];
        }

        foreach (var pod in pods)
        {
            // One pod's log that cannot be rotated now (its folder went with the pod, the disk is
            // full) is said and tried again at the next beat; it never stops the heartbeat.
            var folder = Path.GetDirectoryName(pod.LogFile("x"))!;
            try
            {
                foreach (var file in Directory.Exists(folder) ? Directory.EnumerateFiles(folder, "*.log") : [])
                {
                    RotatingLog.RotateIfLarge(file);
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                LogRotationFailed(_log, folder, ex.Message);
            }
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
            _lastRefusal = null;
            LogControllerBack(_log, Server);
        }
        else
        {
            LogControllerGone(_log, Server, why ?? "no answer", count);
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

        _channel?.Dispose();
        _identity?.Dispose();
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

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not rotate the logs in {Folder}: {Reason}; trying again at the next heartbeat")]
    private static partial void LogRotationFailed(ILogger logger, string folder, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Controller {Server} reachable again")]
    private static partial void LogControllerBack(ILogger logger, string server);

    [LoggerMessage(Level = LogLevel.Information, Message = "Node {Node} joined the cluster at {Server} (CA sha256 {CaHash} pinned; node certificate valid until {NotAfter:u})")]
    private static partial void LogJoined(ILogger logger, string node, string server, string caHash, DateTime notAfter);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Join not done yet: {Reason}; trying again")]
    private static partial void LogJoinRetry(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Refusing the server at {Server}: {Reason}. This agent obeys only its cluster's controller; if the cluster's CA changed, remove the agent's pki folder and join again")]
    private static partial void LogServerRefused(ILogger logger, string server, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The controller at {Server} is a follower replica; moving to the leader it named, {Leader}")]
    private static partial void LogMovingToLeader(ILogger logger, string server, string leader);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The controller at {Server} named a leader this agent does not follow: {Reason}; trying the next server")]
    private static partial void LogLeaderNotFollowed(ILogger logger, string server, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The controller refused part of this node's report: {Reason}")]
    private static partial void LogPodsRefused(ILogger logger, string reason);
}
