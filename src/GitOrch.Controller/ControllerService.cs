using GitOrch.Controller.Agents;
using GitOrch.Workflow.Model;
using GitOrch.Core.AgentApi;
using GitOrch.Controller.Nodes;
using GitOrch.Controller.Workflows;
using GitOrch.Controller.Reconcile;
using GitOrch.Controller.Source;
using GitOrch.Core.Diagnostics;
using GitOrch.Core.Manifests;
using GitOrch.Git;
using GitOrch.History.Mirror;
using GitOrch.History.Store;
using Microsoft.Extensions.Logging;

namespace GitOrch.Controller;

/// <summary>
/// The control plane's main loop: follow the branch (poll, or at once on a webhook), apply new
/// commits, run the loops the changes call for, mirror new versions into Git, and prune history.
/// A failure in one cycle is logged and shown in status; the next cycle tries again with backoff.
/// </summary>
public sealed partial class ControllerService : IAsyncDisposable
{
    private readonly ControllerOptions _options;
    private readonly StateLock _lock;
    private readonly ConfigSource _source;
    private readonly TimeProvider _time;
    private readonly ILogger _log;
    private readonly SemaphoreSlim _trigger = new(0, 1);
    private readonly SemaphoreSlim _cycle = new(1, 1);
    private bool _firstCycle = true;
    private bool _recheckApprovals;
    private DateTimeOffset _nextApprovalCheck = DateTimeOffset.MinValue;
    private string? _head;
    private DateTimeOffset? _lastSync;
    private string? _lastError;
    private string? _mirrorError;
    private long _cycles;
    private readonly DateTimeOffset _startedAt;

    private ControllerService(ControllerOptions options, StateLock stateLock, HistoryStore store, ConfigSource source, ILoggerFactory logs, TimeProvider time, Workflow.Execution.EngineOptions? engine)
    {
        _options = options;
        _lock = stateLock;
        Store = store;
        _source = source;
        _time = time;
        _log = logs.CreateLogger("GitOrch.Controller");
        Nodes = new NodeRegistry();
        foreach (var node in options.Nodes)
        {
            Nodes.Register(node);
        }

        Forge = options.GitHub is { } github ? new GitOrch.Controller.Forge.GitHubClient(github) : null;
        Reconciler = new Reconciler(source, store, time, logs.CreateLogger<Reconciler>(), Forge);
        Mirror = new HistoryMirror(source.Repository, store);
        Agents = new AgentGateway(Path.Combine(options.StateDir, HistoryStore.FileName), Nodes, time);
        Workflows = new WorkflowService(options.StateDir, store, Nodes, Agents, () => Reconciler.Current, time, engine);
        Agents.PodReportChanged += OnPodReport;
        _startedAt = time.GetUtcNow();
    }

    public HistoryStore Store { get; }

    public Reconciler Reconciler { get; }

    public WorkflowService Workflows { get; }

    public GitOrch.Controller.Forge.GitHubClient? Forge { get; }

    public AgentGateway Agents { get; }

    public HistoryMirror Mirror { get; }

    public NodeRegistry Nodes { get; }

    public ControllerStatus Status => new(
        _source.Display, _source.Branch, _source.Prefix.TrimEnd('/'), Path.GetFullPath(_options.StateDir),
        _head, Reconciler.LastApplied, _lastSync, _lastError, _mirrorError, Interlocked.Read(ref _cycles));

    /// <summary>Locks the state folder, opens the store and the repo. Fails with a clear message, never half-started.</summary>
    public static async Task<ControllerService> OpenAsync(ControllerOptions options, ILoggerFactory logs, TimeProvider time, CancellationToken ct, Workflow.Execution.EngineOptions? engine = null)
    {
        var stateLock = StateLock.Acquire(options.StateDir);
        HistoryStore? store = null;
        try
        {
            store = HistoryStore.Open(options.StateDir, time);
            var source = await ConfigSource.OpenAsync(options, ct);
            return new ControllerService(options, stateLock, store, source, logs, time, engine);
        }
        catch
        {
            store?.Dispose();
            stateLock.Dispose();
            throw;
        }
    }

    /// <summary>Asks for a sync now (a push webhook arrived).</summary>
    public void Trigger()
    {
        if (_trigger.CurrentCount == 0)
        {
            try
            {
                _trigger.Release();
            }
            catch (SemaphoreFullException)
            {
                // Already triggered.
            }
        }
    }

    /// <summary>Asks the next cycle to re-check a commit that waits for a rollout approval (a review arrived).</summary>
    public void RecheckApprovals()
    {
        _recheckApprovals = true;
        Trigger();
    }

    /// <summary>
    /// Starts the workflow of <paramref name="obj"/> again when a unit of its transaction failed (a
    /// step ran out of attempts, and what requires it); returns what was done, or null when nothing failed.
    /// </summary>
    public string? Retry(ObjectRef obj)
    {
        var transaction = Workflows.Engine.Current(obj);
        var failed = transaction?.Units.Where(u => u.State.IsFailure()).Select(u => u.Name).ToList();
        if (transaction is null || failed is not { Count: > 0 })
        {
            return null;
        }

        Workflows.OnChanged([obj], transaction.Commit);
        var next = Workflows.Engine.Current(obj);
        return $"retrying {obj.Display}: transaction {next?.Id} replaces transaction {transaction.Id}, where {string.Join(", ", failed)} failed";
    }

    /// <summary>Runs cycles until cancelled: after each, waits for the poll interval or a trigger (longer after failures).</summary>
    public async Task RunAsync(CancellationToken ct)
    {
        var failures = 0;
        while (!ct.IsCancellationRequested)
        {
            var ok = await SyncOnceAsync(ct);
            failures = ok ? 0 : failures + 1;
            var wait = failures == 0 ? _options.Poll : Backoff(failures);
            using var timeout = new CancellationTokenSource(wait, _time);
            using var either = CancellationTokenSource.CreateLinkedTokenSource(ct, timeout.Token);
            try
            {
                await _trigger.WaitAsync(either.Token);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (OperationCanceledException) when (timeout.IsCancellationRequested)
            {
                // The poll interval passed.
            }
        }
    }

    /// <summary>One cycle. Returns false when the source could not be read (the cycle is retried later).</summary>
    public async Task<bool> SyncOnceAsync(CancellationToken ct)
    {
        await _cycle.WaitAsync(ct);
        try
        {
            IReadOnlyList<ApplyOutcome> outcomes;
            try
            {
                if (_firstCycle)
                {
                    await Mirror.PrepareAsync(ct);

                    // Transactions interrupted by the last stop run on; before any new one starts.
                    var resumed = Workflows.Engine.Resume();
                    if (resumed > 0)
                    {
                        LogResumed(_log, resumed);
                    }
                }

                outcomes = await Reconciler.SyncAsync(ct);
                if (Forge is not null && (_recheckApprovals || _time.GetUtcNow() >= _nextApprovalCheck))
                {
                    // A head commit that waits for a rollout approval: asked again when one may have
                    // arrived (a review webhook, `gitorch sync`), and polled otherwise.
                    _recheckApprovals = false;
                    _nextApprovalCheck = _time.GetUtcNow() + _options.ApprovalPoll;
                    if (await Reconciler.RecheckApprovalAsync(ct) is { } rechecked)
                    {
                        outcomes = [.. outcomes, rechecked];
                    }
                }

                _head = await _source.HeadAsync(ct);
                _lastError = null;
            }
            catch (Exception ex) when (ex is SourceException or GitException or GitOrch.Controller.Forge.ForgeException)
            {
                _lastError = ex.Message;
                LogSourceError(_log, ex.Message);
                return false;
            }
            finally
            {
                _lastSync = _time.GetUtcNow();
            }

            var touched = new List<ObjectRef>();
            foreach (var outcome in outcomes.Where(o => o.Applied))
            {
                touched.AddRange(outcome.Changed);
                Workflows.OnChanged(outcome.Changed, outcome.Commit);
                if (outcome.Changed.Any(o => o.Kind is Kinds.ControlLoop or Kinds.Target))
                {
                    Workflows.Replan(outcome.Commit); // New or changed loops and targets: re-plan what they touch.
                }
            }

            if (_firstCycle)
            {
                // Level-based recovery: objects that never got a workflow (a crash right after their version was written) get one.
                Workflows.StartMissing(Reconciler.LastApplied);
                _firstCycle = false;
            }

            CheckNodes();
            await MirrorAsync(ct);
            Prune(touched);
            return true;
        }
        finally
        {
            Interlocked.Increment(ref _cycles); // A cycle is complete only after its mirror and prune steps.
            _cycle.Release();
        }
    }

    /// <summary>
    /// Nodes that stopped heartbeating for longer than the grace period take no new pods, and their
    /// <c>ha</c> pods are rescheduled; <c>best-effort</c> pods wait for an operator (<c>node dead</c>).
    /// </summary>
    public void CheckNodes()
    {
        var now = _time.GetUtcNow();
        foreach (var node in Nodes.All)
        {
            var silent = now - (Agents.LastSeen(node.Name) ?? _startedAt);
            if (silent <= _options.NodeGrace || Nodes.Condition(node.Name) is not null)
            {
                continue;
            }

            Nodes.MarkUnschedulable(node.Name, $"not ready: no heartbeat for {silent.TotalSeconds:0}s");
            LogNodeLost(_log, node.Name, silent.TotalSeconds);
            foreach (var pod in PodsOn(node.Name).Where(p => p.Availability == Core.Manifests.Availability.Ha))
            {
                Reschedule(pod.Ref, $"node {node.Name} has not answered for {silent.TotalSeconds:0}s and the pod is ha");
            }
        }
    }

    /// <summary>Why declaring this node dead may be a mistake (it heartbeats), or null.</summary>
    public string? AliveWarning(string node) =>
        Agents.LastSeen(node) is { } seen && _time.GetUtcNow() - seen < _options.NodeGrace
            ? $"node {node} sent a heartbeat {(_time.GetUtcNow() - seen).TotalSeconds:0}s ago: it looks alive, and it becomes ready again at its next heartbeat (its moved pods stop there)"
            : null;

    /// <summary>An operator says a node is gone for good: every pod on it (ha and best-effort) is rescheduled.</summary>
    public IReadOnlyList<ObjectRef> DeclareDead(string node)
    {
        Nodes.MarkUnschedulable(node, "declared dead by an operator (gitorch node dead)");
        var moved = PodsOn(node).Select(p => p.Ref).ToList();
        foreach (var pod in moved)
        {
            Reschedule(pod, $"node {node} was declared dead");
        }

        return moved;
    }

    private IEnumerable<(ObjectRef Ref, Core.Manifests.Availability Availability)> PodsOn(string node) =>
        Store.List(Kinds.Pod)
            .Select(p => (p.Ref, Json: Newtonsoft.Json.Linq.JObject.Parse(p.ObjectJson)))
            .Where(p => p.Json["status"]?["nodeName"]?.ToString() == node)
            .Select(p => (p.Ref, p.Json["spec"]?["availability"]?.ToString() == "ha" ? Core.Manifests.Availability.Ha : Core.Manifests.Availability.BestEffort))
            .ToList();

    private void Reschedule(ObjectRef pod, string reason)
    {
        Store.Update(pod, Core.Ownership.BuiltInLoops.Scheduler, Reconciler.LastApplied, $"scheduler: {reason}: reschedule {pod.Display}", current =>
        {
            if (current["status"] is not Newtonsoft.Json.Linq.JObject status || status["nodeName"] is null)
            {
                return [];
            }

            status.Remove("nodeName");
            return ["status.nodeName"];
        });
        LogRescheduled(_log, pod.Key, reason);
        Workflows.OnChanged([pod], Reconciler.LastApplied);
    }

    /// <summary>Status flows back from the nodes: phase, restarts and containers, written by the runtime loop.</summary>
    private void OnPodReport(string node, Core.AgentApi.PodReport report)
    {
        var parts = report.Pod.Split('/');
        if (parts.Length != 3)
        {
            return;
        }

        var pod = new ObjectRef(parts[0], parts[1], parts[2]);
        Store.Update(pod, Core.Ownership.BuiltInLoops.Runtime, Reconciler.LastApplied, $"runtime: {pod.Display} on {node} reports {report.Phase}{(report.Restarts > 0 ? $" ({report.Restarts} restart(s))" : string.Empty)}", current =>
        {
            if (current["status"]?["nodeName"]?.ToString() != node
                || Loops.Runtime.Assignment(pod.Key, current).Generation != report.Generation)
            {
                return []; // A report about an older definition or another node's copy: not this pod's state.
            }

            if (current["status"] is not Newtonsoft.Json.Linq.JObject status)
            {
                // Assign once: assigning a token that already has a parent stores a copy.
                current["status"] = status = [];
            }

            var changed = new List<string>();
            Set(status, "phase", report.Phase, changed);
            Set(status, "restarts", report.Restarts, changed);
            Set(status, "containers", Loops.Runtime.ContainersJson(report.Containers), changed);
            return changed;
        });
    }

    private static readonly System.Text.Json.JsonSerializerOptions ReportJson = new(System.Text.Json.JsonSerializerDefaults.Web);

    private static void Set(Newtonsoft.Json.Linq.JObject status, string field, Newtonsoft.Json.Linq.JToken value, List<string> changed)
    {
        if (!Newtonsoft.Json.Linq.JToken.DeepEquals(status[field], value))
        {
            status[field] = value;
            changed.Add("status." + field);
        }
    }

    private async Task MirrorAsync(CancellationToken ct)
    {
        try
        {
            var written = await Mirror.CatchUpAsync(ct);
            if (written > 0)
            {
                await _source.PushMirrorAsync(HistoryMirror.Ref, ct);
                LogMirrored(_log, written, HistoryMirror.Ref);
            }

            _mirrorError = null;
        }
        catch (Exception ex) when (ex is GitException or StateException or IOException)
        {
            // The store is the source of truth; the mirror catches up on a later cycle.
            _mirrorError = ex.Message;
            LogMirrorError(_log, ex.Message);
        }
    }

    private void Prune(IEnumerable<ObjectRef> touched)
    {
        var keep = Reconciler.Current?.Objects.Select(o => o.Object).OfType<ClusterPolicy>().FirstOrDefault()?.Spec.History?.KeepVersions;
        if (keep is not { } limit || _mirrorError is not null)
        {
            return; // Keep everything by default, and never drop what the mirror has not written yet.
        }

        foreach (var obj in touched.Distinct())
        {
            Store.Prune(obj, limit);
        }
    }

    private TimeSpan Backoff(int failures)
    {
        var seconds = Math.Min(300, _options.Poll.TotalSeconds * Math.Pow(2, Math.Min(failures, 10)));
        return TimeSpan.FromSeconds(seconds * (0.8 + (Random.Shared.NextDouble() * 0.4)));
    }

    public async ValueTask DisposeAsync()
    {
        await Workflows.DisposeAsync();
        Forge?.Dispose();
        Agents.Dispose();
        await _source.DisposeAsync();
        Store.Dispose();
        _lock.Dispose();
        _trigger.Dispose();
        _cycle.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Cannot read the config source: {Reason}")]
    private static partial void LogSourceError(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Node {Node} has not sent a heartbeat for {Seconds:0}s: it takes no new pods, and its ha pods are rescheduled")]
    private static partial void LogNodeLost(ILogger logger, string node, double seconds);

    [LoggerMessage(Level = LogLevel.Information, Message = "Rescheduling {Pod}: {Reason}")]
    private static partial void LogRescheduled(ILogger logger, string pod, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Resumed {Count} workflow transaction(s) interrupted by the last stop")]
    private static partial void LogResumed(ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Information, Message = "Mirrored {Count} version batch(es) to {Ref}")]
    private static partial void LogMirrored(ILogger logger, int count, string @ref);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Cannot write the history mirror yet (will retry): {Reason}")]
    private static partial void LogMirrorError(ILogger logger, string reason);
}
