using GitOrch.Core.State;
using GitOrch.Controller.Agents;
using GitOrch.Workflow.Model;
using GitOrch.Controller.Mirror;
using GitOrch.Controller.Nodes;
using GitOrch.Controller.Reconcile;
using GitOrch.Controller.Snapshots;
using GitOrch.Controller.Source;
using GitOrch.Controller.State;
using GitOrch.Controller.Sync;
using GitOrch.Controller.Workflows;
using GitOrch.Core.Diagnostics;
using GitOrch.History.Mirror;
using GitOrch.History.Store;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace GitOrch.Controller;

/// <summary>
/// The control plane's parts, opened together on one state folder: the store behind its admission
/// gate, the published config snapshot, and the hosted services that each own one concern (the
/// sync loop, workflow starts, the mirror, node health, the state folder guard) plus node status
/// ingestion. <see cref="AddTo"/> puts them in a service collection for the API's handlers. It
/// does no work of its own.
/// </summary>
public sealed class ControllerService : IAsyncDisposable
{
    private readonly ControllerOptions _options;
    private readonly StateLock _lock;
    private readonly ConfigSource _source;

    private ControllerService(ControllerOptions options, StateLock stateLock, HistoryStore store, ConfigSource source, ILoggerFactory logs, TimeProvider time, Workflow.Execution.EngineOptions? engine, Replication.ReplicaContext? replica)
    {
        Replica = replica;
        _options = options;
        _lock = stateLock;
        _source = source;
        Store = store;
        Snapshots = new ConfigSnapshotProvider();
        Writer = new ObjectWriter(store, Snapshots);
        Guard = new StateGuard(options.StateDir, stateLock, logs.CreateLogger<StateGuard>());
        Nodes = new NodeRegistry();
        foreach (var node in options.Nodes)
        {
            Nodes.Register(node);
        }

        Forge = options.GitHub is { } github ? new Forge.GitHubClient(github) : null;
        Reconciler = new Reconciler(source, store, Writer, Snapshots, time, logs.CreateLogger<Reconciler>(), Forge);
        // The mirror writes through a libgit2 handle of its own: a burst of thousands of mirror
        // commits then never holds the handle the sync loop reads commits through.
        _mirrorRepository = new GitOrch.Git.GitRepository(source.Repository.Path);
        Mirror = new HistoryMirror(_mirrorRepository, store);
        Agents = new AgentGateway(Path.Combine(options.StateDir, HistoryStore.FileName), Nodes, time, replica?.Journal, store.Gate);
        Workflows = new WorkflowService(options.StateDir, store, Writer, Nodes, Agents, Snapshots, time, engine, replica?.Journal);
        Starter = new WorkflowStarter(Workflows, Guard, time, logs.CreateLogger<WorkflowStarter>());
        MirrorService = new MirrorService(Mirror, source, store, Snapshots, Guard, logs.CreateLogger<MirrorService>());
        NodeHealth = new NodeHealthService(options, Nodes, Agents, Writer, Snapshots, Workflows, Guard, time, logs.CreateLogger<NodeHealthService>());
        Ingestion = new StatusIngestion(Agents, Writer, Snapshots, logs.CreateLogger<StatusIngestion>());
        Sync = new SyncLoop(options, Reconciler, Workflows, Starter, MirrorService, Guard, time, logs.CreateLogger<SyncLoop>());
        GuardService = new StateGuardService(Guard, time);
        Network = new ClusterNetwork(store, Nodes, Agents, () => Snapshots.Current.Result);
    }

    private readonly GitOrch.Git.GitRepository _mirrorRepository;

    /// <summary>Reads only: objects, versions, commits. Writes go through <see cref="Writer"/>.</summary>
    public HistoryStore Store { get; }

    /// <summary>The admission gate: the one way to change an object.</summary>
    public IObjectWriter Writer { get; }

    public ConfigSnapshotProvider Snapshots { get; }

    public Reconciler Reconciler { get; }

    public WorkflowService Workflows { get; }

    public WorkflowStarter Starter { get; }

    public MirrorService MirrorService { get; }

    public NodeHealthService NodeHealth { get; }

    public StatusIngestion Ingestion { get; }

    public SyncLoop Sync { get; }

    public StateGuard Guard { get; }

    public StateGuardService GuardService { get; }

    public Forge.GitHubClient? Forge { get; }

    public AgentGateway Agents { get; }

    public HistoryMirror Mirror { get; }

    public NodeRegistry Nodes { get; }

    /// <summary>Set when this controller is one replica of a replicated control plane.</summary>
    public Replication.ReplicaContext? Replica { get; }

    /// <summary>
    /// The hosted services, in start order. A follower replica runs none: it serves reads from its
    /// copy of the state, which the journal keeps current.
    /// </summary>
    public IReadOnlyList<IHostedService> HostedServices => Replica is { Leads: false } ? [] : [Sync, Starter, MirrorService, NodeHealth, GuardService];

    /// <summary>The pod network handed to each node: its /64, egress, its peers.</summary>
    public ClusterNetwork Network { get; }

    public ControllerStatus Status => new(
        _source.Display, _source.Branch, _source.Prefix.TrimEnd('/'), Path.GetFullPath(_options.StateDir),
        // A follower does not poll or apply: it shows what its copy of the state says.
        Replica is { Leads: false } ? Store.Commits(1).FirstOrDefault()?.Sha : Sync.Head,
        Replica is { Leads: false } ? Store.LastApplied : Reconciler.LastApplied, Sync.LastSync, Sync.LastError, MirrorService.LastError, MirrorService.CompletedCycles,
        Starter.LastError, Starter.Pending);

    /// <summary>Locks the state folder, opens the store and the repo. Fails with a clear message, never half-started.</summary>
    public static async Task<ControllerService> OpenAsync(ControllerOptions options, ILoggerFactory logs, TimeProvider time, CancellationToken ct, Workflow.Execution.EngineOptions? engine = null, Replication.ReplicaContext? replica = null)
    {
        var stateLock = StateLock.Acquire(options.StateDir);
        HistoryStore? store = null;
        try
        {
            store = HistoryStore.Open(options.StateDir, time, replica?.Journal);
            var source = await ConfigSource.OpenAsync(options, ct);
            return new ControllerService(options, stateLock, store, source, logs, time, engine, replica);
        }
        catch
        {
            store?.Dispose();
            stateLock.Dispose();
            throw;
        }
    }

    /// <summary>Registers the parts as singletons (the API's handlers take them as parameters) and the hosted services.</summary>
    public void AddTo(IServiceCollection services)
    {
        services.AddSingleton(this);
        services.AddSingleton(Store);
        services.AddSingleton(Writer);
        services.AddSingleton(Snapshots);
        services.AddSingleton(Reconciler);
        services.AddSingleton(Workflows);
        services.AddSingleton(Network);
        services.AddSingleton(Workflows.Engine);
        services.AddSingleton(Starter);
        services.AddSingleton(MirrorService);
        services.AddSingleton(NodeHealth);
        services.AddSingleton(Sync);
        services.AddSingleton(Agents);
        services.AddSingleton(Nodes);
        services.AddSingleton(Guard);
        foreach (var hosted in HostedServices)
        {
            services.AddSingleton(hosted);
        }
    }

    /// <summary>Asks for a sync now (a push webhook arrived).</summary>
    public void Trigger() => Sync.Trigger();

    /// <summary>Asks the next cycle to re-check a commit that waits for a rollout approval (a review arrived).</summary>
    public void RecheckApprovals() => Sync.RecheckApprovals();

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

    /// <summary>
    /// One cycle and everything that follows from it (workflow starts, node health, the mirror),
    /// awaited: for <c>POST /sync</c> and tests. Returns false when the cycle failed (see status).
    /// </summary>
    public async Task<bool> SyncOnceAsync(CancellationToken ct)
    {
        if (Replica is { Leads: false, Journal: Replication.EtcdJournal journal })
        {
            // Only the leader applies commits and writes the mirror: a follower's cycle would
            // write refs/gitorch/history beside the leader's (a batch twice) and its store writes are refused.
            throw journal.Refused();
        }

        var ok = await Sync.CycleAsync(ct);
        await Starter.DrainAsync(ct);
        NodeHealth.CheckNodes();
        await MirrorService.RunOnceAsync(ct);
        return ok;
    }

    /// <summary>Runs the hosted services until cancelled (or until the state folder is gone, which throws).</summary>
    public async Task RunAsync(CancellationToken ct)
    {
        foreach (var service in HostedServices)
        {
            await service.StartAsync(ct);
            Watch(service);
        }

        try
        {
            await Task.WhenAny(Task.Delay(Timeout.Infinite, ct), Guard.Stopped);
        }
        finally
        {
            foreach (var service in HostedServices.Reverse())
            {
                await service.StopAsync(CancellationToken.None);
            }
        }

        if (Guard.Stopped.IsFaulted)
        {
            await Guard.Stopped;
        }
    }

    /// <summary>
    /// Stops the controller, visibly, when a started service ends on an error it did not handle
    /// (see <see cref="StateGuard.Crashed"/>); whoever started the services calls this (the host in
    /// <see cref="ControllerHost"/>, or <see cref="RunAsync"/>).
    /// </summary>
    internal void Watch(IHostedService service)
    {
        if (service is BackgroundService { ExecuteTask: { } running })
        {
            _ = running.ContinueWith(
                t => Guard.Crashed(ServiceName(service), t.Exception!.GetBaseException()),
                CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
        }
    }

    /// <summary>See <see cref="Watch"/>, for every hosted service.</summary>
    internal void WatchServices()
    {
        foreach (var service in HostedServices)
        {
            Watch(service);
        }
    }

    private static string ServiceName(IHostedService service) => service switch
    {
        SyncLoop => "sync loop",
        GitOrch.Controller.Mirror.MirrorService => "history mirror",
        WorkflowStarter => "workflow starter",
        NodeHealthService => "node health check",
        StateGuardService => "state folder check",
        _ => service.GetType().Name,
    };

    /// <summary>See <see cref="NodeHealthService.CheckNodes"/>.</summary>
    public void CheckNodes() => NodeHealth.CheckNodes();

    /// <summary>See <see cref="NodeHealthService.AliveWarning"/>.</summary>
    public string? AliveWarning(string node) => NodeHealth.AliveWarning(node);

    /// <summary>See <see cref="NodeHealthService.DeclareDead"/>.</summary>
    public IReadOnlyList<ObjectRef> DeclareDead(string node) => NodeHealth.DeclareDead(node);

    /// <summary>
    /// Closes every part even when one fails to close (its error is rethrown at the end): the store
    /// and the state folder's lock are always released, so the folder can be opened again.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        var errors = new List<Exception>();
        async Task Close(Func<ValueTask> close)
        {
            try
            {
                await close();
            }
            catch (Exception ex)
            {
                errors.Add(ex);
            }
        }

        await Close(() => { Ingestion.Dispose(); return ValueTask.CompletedTask; });
        await Close(() => Workflows.DisposeAsync());
        await Close(() => { Forge?.Dispose(); return ValueTask.CompletedTask; });
        await Close(() => { Agents.Dispose(); return ValueTask.CompletedTask; });
        await Close(() => _source.DisposeAsync());
        await Close(() => _mirrorRepository.DisposeAsync());
        await Close(() => { Sync.Dispose(); return ValueTask.CompletedTask; });
        await Close(() => { Starter.Dispose(); return ValueTask.CompletedTask; });
        await Close(() => { MirrorService.Dispose(); return ValueTask.CompletedTask; });
        await Close(() => { NodeHealth.Dispose(); return ValueTask.CompletedTask; });
        await Close(() => { GuardService.Dispose(); return ValueTask.CompletedTask; });
        await Close(() => { Store.Dispose(); return ValueTask.CompletedTask; });
        await Close(() => { _lock.Dispose(); return ValueTask.CompletedTask; });
        if (errors.Count > 0)
        {
            throw errors.Count == 1 ? errors[0] : new AggregateException(errors);
        }
    }
}
