using System.Text.Json.Nodes;
using GitOrch.Controller.Agents;
using GitOrch.Core.AgentApi;
using GitOrch.Controller.Loops;
using GitOrch.Controller.Nodes;
using GitOrch.Core.Diagnostics;
using GitOrch.Core.Manifests;
using GitOrch.Core.Validation;
using GitOrch.History.Store;
using GitOrch.Workflow.Execution;
using GitOrch.Workflow.Model;
using GitOrch.Workflow.Planning;
using GitOrch.Workflow.Store;

namespace GitOrch.Controller.Workflows;

/// <summary>
/// Turns applied changes into transactions: one per changed pod (and other objects loops handle),
/// planned from the current registry of loops and targets, run by the engine. When loops or
/// targets change, only objects whose planned units differ get a new transaction.
/// </summary>
public sealed class WorkflowService : IAsyncDisposable
{
    private readonly HistoryStore _history;
    private readonly IObjectWriter _writer;
    private readonly Snapshots.ConfigSnapshotProvider _snapshots;
    private readonly AgentGateway _agents;
    private readonly NodeRegistry _nodes;
    private readonly TimeProvider _time;
    private readonly Lock _nodeWake = new();
    private readonly CancellationTokenSource _stopping = new();
    private readonly CancellationToken _stopped;
    private long? _lastNodeWake;
    private bool _nodeWakeDue;

    // The planner of the current config snapshot, which keeps the plans of objects alike.
    private volatile TransactionPlanner? _planner;

    public WorkflowService(string stateDir, HistoryStore history, IObjectWriter writer, NodeRegistry nodes, AgentGateway agents, Snapshots.ConfigSnapshotProvider snapshots, TimeProvider time, EngineOptions? options = null, GitOrch.Core.State.IStateJournal? journal = null)
    {
        _history = history;
        _writer = writer;
        _snapshots = snapshots;
        _agents = agents;
        Store = new WorkflowStore(Path.Combine(stateDir, HistoryStore.FileName), journal, history.Gate);
        Pods = new PodIndex(history);
        Scheduler = new Scheduler(Pods, nodes);
        IBuiltInLoop[] builtIns = [Scheduler, new Ipam(history, Pods), new ImagePull(agents), new Runtime(agents, time), new PinnedDeploymentLoop(history, Pods, writer, OnChanged)];
        Engine = new WorkflowEngine(Store, new LoopStepRunner(history, writer, builtIns.ToDictionary(b => b.Name), snapshots), time, options);
        _nodes = nodes;
        _time = time;
        _stopped = _stopping.Token;
        nodes.Changed += NodeChanged;
        Pods.RoomFreed += WakeScheduler;
        Pods.DeploymentPodsChanged += WakeDeployments;
    }

    public WorkflowStore Store { get; }

    public WorkflowEngine Engine { get; }

    public Scheduler Scheduler { get; }

    /// <summary>Every pod's placement and each node's reservations, kept from the store's writes.</summary>
    public PodIndex Pods { get; }

    /// <summary>Kinds whose objects get workflows.</summary>
    public static bool HasWorkflow(string kind) => kind is Kinds.Pod or Kinds.PinnedDeployment;

    /// <summary>Starts (or restarts) the workflows of changed objects; stops those of deleted ones.</summary>
    public void OnChanged(IEnumerable<ObjectRef> changed, string? commit)
    {
        var starts = new List<(ObjectRef, string?, IReadOnlyList<Unit>)>();
        foreach (var obj in changed.Where(o => HasWorkflow(o.Kind)).Distinct())
        {
            var stored = _history.Get(obj);
            if (stored is null || stored.Deleted)
            {
                Engine.Cancel(obj, "the object was deleted");
                Deleted(obj, commit);
                continue;
            }

            if (Plan(stored.ObjectJson) is { } units)
            {
                starts.Add((obj, commit, units));
            }
        }

        StartBatch(starts);
    }

    /// <summary>Starts transactions in batches: one store write per batch, not one per object.</summary>
    private void StartBatch(List<(ObjectRef, string?, IReadOnlyList<Unit>)> starts)
    {
        if (starts.Count > 0)
        {
            Engine.StartMany(starts);
            starts.Clear();
        }
    }

    /// <summary>A deleted pod stops on its node; a deleted PinnedDeployment takes its pods with it.</summary>
    private void Deleted(ObjectRef obj, string? commit)
    {
        if (obj.Kind == Kinds.Pod && _agents.NodeOf(obj.Key) is { } node)
        {
            _agents.Unassign(node, obj.Key);
            return;
        }

        if (obj.Kind != Kinds.PinnedDeployment)
        {
            return;
        }

        var pods = Pods.PodsOf(obj.Namespace, obj.Name)
            .Where(p => _history.Get(p) is { Deleted: false, File: null })
            .ToList();
        foreach (var pod in pods)
        {
            _writer.Write(new History.ChangeBatch(History.Changers.Loop(Core.Ownership.BuiltInLoops.PinnedDeployment), History.ChangeKind.Mechanical, commit,
                $"pinned-deployment: remove {pod.Display} ({obj.Display} was deleted)", Core.Ownership.BuiltInLoops.PinnedDeployment,
                "pinned-deployment@control-loop.gitorch", [new History.ObjectChange(pod, null, ["*"], null)]));
        }

        OnChanged(pods, commit);
    }

    /// <summary>
    /// After loops or targets changed: new transactions for the objects whose planned units differ
    /// from their current transaction's (a new loop selects them, or a loop left them).
    /// </summary>
    public void Replan(string? commit, CancellationToken ct = default)
    {
        var starts = new List<(ObjectRef, string?, IReadOnlyList<Unit>)>();
        foreach (var stored in _history.List(Kinds.Pod).Concat(_history.List(Kinds.PinnedDeployment)))
        {
            ct.ThrowIfCancellationRequested();
            var units = Plan(stored.ObjectJson);
            var planned = units?.Select(u => u.Name).Order(StringComparer.Ordinal);
            var current = Engine.Current(stored.Ref)?.Units.Select(u => u.Name).Order(StringComparer.Ordinal);
            if (planned is not null && (current is null || !planned.SequenceEqual(current)))
            {
                starts.Add((stored.Ref, commit, units!));
                if (starts.Count >= BatchSize)
                {
                    StartBatch(starts);
                }
            }
        }

        StartBatch(starts);
    }

    /// <summary>How many transactions one store write starts.</summary>
    public const int BatchSize = 500;

    /// <summary>At start (after resuming): a transaction for every object that never had one.</summary>
    public int StartMissing(string? commit, CancellationToken ct = default)
    {
        var started = 0;
        var starts = new List<(ObjectRef, string?, IReadOnlyList<Unit>)>();
        foreach (var stored in _history.List(Kinds.Pod).Concat(_history.List(Kinds.PinnedDeployment)).Where(p => Engine.Current(p.Ref) is null))
        {
            ct.ThrowIfCancellationRequested();
            if (Plan(stored.ObjectJson) is { } units)
            {
                starts.Add((stored.Ref, commit, units));
                started++;
                if (starts.Count >= BatchSize)
                {
                    StartBatch(starts);
                }
            }
        }

        StartBatch(starts);
        return started;
    }

    private IReadOnlyList<Unit>? Plan(string json)
    {
        var config = _snapshots.Current.Result;
        var obj = GitOrch.Core.Manifests.ManifestJson.Parse(json);
        obj.Remove("status");
        var type = Kinds.RecordType(obj["kind"]?.ToString() ?? string.Empty);
        if (type is null || obj.Bind(type) is not ManifestObject typed)
        {
            return null;
        }

        var loops = config?.Loops ?? Core.Ownership.BuiltInLoops.All;
        var targets = config?.Targets ?? Core.Workflow.BuiltInTargets.All;
        var planner = _planner;
        if (planner is null || !planner.IsFor(loops, targets))
        {
            // A new config snapshot: plans are built for its loops and targets from now on.
            _planner = planner = new TransactionPlanner(loops, targets);
        }

        return planner.Plan(typed);
    }

    /// <summary>Pods that found no node are tried again now: a node joined or changed, or room was freed.</summary>
    private void WakeScheduler() => Engine.WakeWaiting(Core.Ownership.BuiltInLoops.Scheduler);

    private void WakeDeployments(IReadOnlyCollection<ObjectRef> deployments) => Engine.WakeWaiting(Core.Ownership.BuiltInLoops.PinnedDeployment, deployments);

    /// <summary>
    /// The least time between two tries of the waiting pods that nodes' changes bring. A node that
    /// joins after a quiet spell has its pods placed at once; changes that follow within this time
    /// are served by one try at its end. A node that changes its labels or capacity at every
    /// heartbeat (broken, or hostile with a valid certificate) so makes the scheduler try every
    /// waiting pod at most once per this time, as each pod's own delay did before it doubled.
    /// </summary>
    public static readonly TimeSpan NodeWakeGap = TimeSpan.FromSeconds(10);

    /// <summary>How many tries of the waiting pods nodes' changes brought.</summary>
    public long NodeWakes => Interlocked.Read(ref _nodeWakes);

    private long _nodeWakes;

    private void NodeChanged()
    {
        lock (_nodeWake)
        {
            if (_nodeWakeDue)
            {
                return; // A try is already due: it serves this change too.
            }

            // Measured on the monotonic clock: a wall clock set back must not put the next try off.
            var wait = _lastNodeWake is { } last ? NodeWakeGap - _time.GetElapsedTime(last) : TimeSpan.Zero;
            if (wait <= TimeSpan.Zero)
            {
                WakeForNodesLocked();
                return;
            }

            var due = Task.Delay(wait < NodeWakeGap ? wait : NodeWakeGap, _time, _stopped);
            _nodeWakeDue = true;
            _ = due.ContinueWith(
                _ =>
                {
                    lock (_nodeWake)
                    {
                        _nodeWakeDue = false;
                        WakeForNodesLocked();
                    }
                },
                CancellationToken.None, TaskContinuationOptions.OnlyOnRanToCompletion, TaskScheduler.Default);
        }
    }

    /// <summary>A try of the waiting pods for nodes' changes, counted and timed (under <c>_nodeWake</c>; the wake itself never blocks).</summary>
    private void WakeForNodesLocked()
    {
        _lastNodeWake = _time.GetTimestamp();
        Interlocked.Increment(ref _nodeWakes);
        WakeScheduler();
    }

    public async ValueTask DisposeAsync()
    {
        _nodes.Changed -= NodeChanged;
        await _stopping.CancelAsync(); // Not disposed: a heartbeat that read the event before it was left may still come in.
        Pods.RoomFreed -= WakeScheduler;
        Pods.DeploymentPodsChanged -= WakeDeployments;
        await Engine.DisposeAsync();
        Store.Dispose();
        Pods.Dispose();
    }
}
