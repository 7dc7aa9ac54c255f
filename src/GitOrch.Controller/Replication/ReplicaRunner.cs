using dotnet_etcd;
using GitOrch.Controller.Trust;
using Microsoft.Extensions.Logging;

namespace GitOrch.Controller.Replication;

/// <summary>
/// One replica of a replicated control plane (<c>gitorch controller --etcd</c>). It shares the
/// cluster's CA through etcd, campaigns for leadership, and keeps its state folder equal to the
/// journal. While it leads it runs a full controller host whose stores write through the journal
/// (fenced by its term) and snapshots the journal now and then; while it follows it runs the same
/// host without hosted services (reads from its copy; writes refused naming the leader) and
/// applies new entries as they appear. A term ends (lease lapsed, etcd gone, a write not
/// confirmed): the leader's host stops before anything else is written, and the replica follows
/// until it leads again. Each host is built fresh for its role, so no state of a past term lingers.
/// </summary>
public sealed partial class ReplicaRunner : IAsyncDisposable
{
    private static readonly TimeSpan LeaderCheck = TimeSpan.FromMilliseconds(200);

    private readonly ControllerOptions _options;
    private readonly ReplicaOptions _replica;
    private readonly Action<ILoggingBuilder>? _logging;
    private readonly TimeProvider _time;
    private readonly ILoggerFactory _logs;
    private readonly ILogger _log;
    private readonly EtcdClient _client;
    private ControllerHost? _host;

    public ReplicaRunner(ControllerOptions options, ReplicaOptions replica, Action<ILoggingBuilder>? logging, TimeProvider time)
    {
        _options = options;
        _replica = replica;
        _logging = logging;
        _time = time;
        _logs = LoggerFactory.Create(b => logging?.Invoke(b));
        _log = _logs.CreateLogger<ReplicaRunner>();
        _client = new EtcdClient(string.Join(',', replica.Endpoints));
        var listen = ListenAddress.Parse(options.Listen, "--listen");
        var agents = options.AgentListen is { } a ? ListenAddress.Parse(a, "--agent-listen") : null;
        if (listen.Port == 0 || agents is { Port: 0 })
        {
            throw new ArgumentException("a replica needs fixed ports in --listen and --agent-listen (the other replicas and the agents find it there)");
        }

        Self = new ReplicaInfo(replica.Name, listen.ClientUrl(listen.Port), agents?.ClientUrl(agents.Port), time.GetUtcNow());
        Election = new LeaderElection(_client, replica.Prefix, Self, replica.LeaseTtl, time, _logs.CreateLogger<LeaderElection>());
        Journal = new EtcdJournal(_client, replica.Prefix, Election);
        State = new JournalReplica(Journal, options.StateDir, _logs.CreateLogger<JournalReplica>());
    }

    public ReplicaInfo Self { get; }

    public LeaderElection Election { get; }

    public EtcdJournal Journal { get; }

    public JournalReplica State { get; }

    /// <summary>The host of the current role (null between roles).</summary>
    public ControllerHost? Host => Volatile.Read(ref _host);

    /// <summary>Raised when a host for a role has started (the leader's or a follower's).</summary>
    public event Action<ControllerHost, bool>? HostStarted;

    /// <summary>Runs until cancelled: campaigns, leads or follows.</summary>
    public async Task RunAsync(CancellationToken ct)
    {
        // A journaled write blocks its thread until etcd answers; the lease renewals must never
        // wait behind such writes for a thread.
        ThreadPool.GetMinThreads(out var workers, out var io);
        ThreadPool.SetMinThreads(Math.Max(workers, 64), io);
        await JoinEtcdAsync(ct);
        using var electionStop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var election = Election.RunAsync(electionStop.Token);
        var led = false;
        try
        {
            while (!ct.IsCancellationRequested)
            {
                try
                {
                    if (Election.Term is { } term)
                    {
                        led = true;
                        await LeadAsync(term, ct);
                    }
                    else
                    {
                        var justLed = led;
                        led = false;
                        await FollowAsync(justLed, ct);
                    }
                }
                catch (OperationCanceledException) when (ct.IsCancellationRequested)
                {
                    break;
                }
                catch (OperationCanceledException)
                {
                    // A term ended (its token was cancelled): campaign or follow again at once.
                    await StopHostAsync();
                }
                catch (History.Store.StateException)
                {
                    throw; // The state folder is gone or unusable: the replica stops and says why.
                }
                catch (Exception ex)
                {
                    LogRoleFailed(_log, ex.Message);
                    await StopHostAsync();
                    await Delay(TimeSpan.FromSeconds(1), ct);
                }
            }
        }
        finally
        {
            await StopHostAsync();
            await electionStop.CancelAsync();
            try
            {
                await election;
            }
            catch (OperationCanceledException)
            {
            }
        }
    }

    /// <summary>How long the replica that just led waits for etcd's first answer before it serves its copy as a follower.</summary>
    public static readonly TimeSpan FirstProbe = TimeSpan.FromSeconds(1);

    /// <summary>How long a replica waits for etcd to answer when it starts before it gives up and says so.</summary>
    public static readonly TimeSpan StartDeadline = TimeSpan.FromSeconds(15);

    private async Task JoinEtcdAsync(CancellationToken ct)
    {
        var started = _time.GetTimestamp();
        while (true)
        {
            try
            {
                await SharedCa.EnsureAsync(_client, _replica.Prefix, _options.StateDir, _time, ct);
                return;
            }
            catch (Grpc.Core.RpcException ex) when (!ct.IsCancellationRequested)
            {
                if (_time.GetElapsedTime(started) >= StartDeadline)
                {
                    throw new History.Store.StateException(
                        $"etcd does not answer at {string.Join(", ", _replica.Endpoints)} ({ex.Status.StatusCode}: {ex.Status.Detail}); check --etcd and that a quorum of the members runs (etcdctl --endpoints ... endpoint health)");
                }

                await Delay(TimeSpan.FromSeconds(1), ct);
            }
        }
    }

    private async Task LeadAsync(LeaderTerm term, CancellationToken ct)
    {
        using var lost = CancellationTokenSource.CreateLinkedTokenSource(ct, term.Lost);
        await StopHostAsync();
        var last = await State.CatchUpAsync(allowRestore: true, lost.Token);
        if (last is null)
        {
            // A new cluster: this replica's state (empty, or a single controller's) is its start.
            State.EnsureSchema();
            State.MarkApplied(0);
            await Journal.ExclusiveAsync(_ => State.WriteSnapshotAsync(Election, 0, lost.Token), lost.Token);
            last = 0;
        }

        State.CloseAll();
        await Journal.StartTermAsync(term, last.Value, lost.Token);
        LogLeading(_log, _replica.Name, last.Value + 1);
        var host = await StartHostAsync(leads: true, lost.Token);
        var snapshotAt = last.Value;
        try
        {
            while (!lost.IsCancellationRequested && !host.Completion.IsCompleted && Journal.Broken is null)
            {
                await Delay(LeaderCheck, lost.Token);
                try
                {
                    if (Journal.Next - 1 - snapshotAt >= _replica.SnapshotEvery)
                    {
                        // The copy is taken with no write in flight; the upload runs while writes go on.
                        JournalReplica.SnapshotCopy? copy = null;
                        await Journal.ExclusiveAsync(index =>
                        {
                            copy = State.TakeSnapshot(index);
                            return Task.CompletedTask;
                        }, lost.Token);
                        await State.PublishSnapshotAsync(Election, copy!, lost.Token);
                        snapshotAt = copy!.Index;
                    }

                    await EnsureAdminTokensAsync(host, lost.Token);
                }
                catch (Exception ex) when (ex is Grpc.Core.RpcException or GitOrch.Core.State.JournalRefusedException or NotLeaderException or IOException)
                {
                    LogHousekeepingFailed(_log, ex.Message); // Tried again on the next check; the term goes on if it can.
                }
            }
        }
        catch (Exception ex) when (lost.IsCancellationRequested && !ct.IsCancellationRequested && ex is OperationCanceledException or NotLeaderException or Grpc.Core.RpcException)
        {
            // The term ended while waiting or writing: said below, with the reason.
        }

        LogTermEnded(_log, _replica.Name, Journal.Broken ?? Election.State.Reason ?? "the lease was lost");
        await StopHostAsync();
        if (host.Completion.IsFaulted)
        {
            await host.Completion; // The state folder is gone: stop the replica with the reason.
        }
    }

    private async Task FollowAsync(bool justLed, CancellationToken ct)
    {
        await StopHostAsync();
        try
        {
            if (justLed && State.HasCopy)
            {
                // The replica that just led (or began to) has a copy at least as fresh as when its
                // term began: it asks etcd once, briefly, before catching up, so that when quorum is
                // lost its API is back as a follower's within this probe's time, not after a
                // catch-up's full call timeout. Should its copy need more than entries (it was cut
                // off while others went on), the catch-ups below say so and the next follow, no
                // longer just after a term, restores it.
                await State.ProbeAsync(FirstProbe, ct);
            }

            if (await State.CatchUpAsync(allowRestore: true, ct) is null)
            {
                await Delay(TimeSpan.FromMilliseconds(500), ct); // No leader has created the cluster's state yet.
                return;
            }
        }
        catch (Exception ex) when (EtcdParts.IsUnreachable(ex, ct) && State.HasCopy)
        {
            // etcd does not answer (this replica's members are down, or quorum is lost): serve reads
            // from the copy this replica has, refusing writes with the reason, until it answers.
            LogFollowingStale(_log, ex.Message);
        }

        var host = await StartHostAsync(leads: false, ct);
        var guard = host.Controller.Guard;
        var unreachable = false;
        while (!ct.IsCancellationRequested && Election.Term is null && !host.Completion.IsCompleted)
        {
            await Delay(_replica.FollowInterval, ct);

            // A follower runs no hosted services, so its state folder is checked here, as the
            // leader's guard service does every second.
            if (guard.StopIfGone())
            {
                break;
            }

            try
            {
                await State.CatchUpAsync(allowRestore: false, ct);
                unreachable = false;
            }
            catch (Exception ex) when (EtcdParts.IsUnreachable(ex, ct))
            {
                if (!unreachable)
                {
                    unreachable = true;
                    LogFollowingStale(_log, ex.Message);
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException && guard.StopIfGone())
            {
                break; // The copy met the deleted database: the guard says what happened.
            }
        }

        if (host.Completion.IsFaulted)
        {
            await StopHostAsync();
            await host.Completion; // The state folder is gone: stop the replica with the reason.
        }
    }

    private DateTimeOffset _tokensChecked;

    private async Task EnsureAdminTokensAsync(ControllerHost host, CancellationToken ct)
    {
        if (_time.GetUtcNow() - _tokensChecked < TimeSpan.FromSeconds(5))
        {
            return;
        }

        _tokensChecked = _time.GetUtcNow();
        foreach (var replica in await Election.ReplicasAsync(ct))
        {
            ReplicaAdmin.Ensure(host.Tokens, host.Pki, replica.Name);
        }
    }

    private async Task<ControllerHost> StartHostAsync(bool leads, CancellationToken ct)
    {
        var options = _options with { Replica = new ElectedReplicaRole(Election) };
        var host = await ControllerHost.StartAsync(options, _logging, _time, ct, new ReplicaContext(_replica.Name, Journal, leads));
        Volatile.Write(ref _host, host);
        HostStarted?.Invoke(host, leads);
        return host;
    }

    private async Task StopHostAsync()
    {
        if (Interlocked.Exchange(ref _host, null) is { } host)
        {
            try
            {
                await host.DisposeAsync();
            }
            catch (GitOrch.Core.State.JournalRefusedException ex)
            {
                // The last flush of a term that ended: the next leader resumes from the journal.
                LogFlushRefused(_log, ex.Message);
            }
        }
    }

    private Task Delay(TimeSpan delay, CancellationToken ct) => Task.Delay(delay, _time, ct);

    public async ValueTask DisposeAsync()
    {
        await StopHostAsync();
        State.Dispose();
        _client.Dispose();
        _logs.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Replica {Name} leads: the journal continues at entry {Next}")]
    private static partial void LogLeading(ILogger log, string name, long next);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Replica {Name} stops leading: {Reason}")]
    private static partial void LogTermEnded(ILogger log, string name, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Writes still in memory when the term ended were not journaled (the next leader resumes from the journal): {Reason}")]
    private static partial void LogFlushRefused(ILogger log, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Leader housekeeping (snapshot, replicas' admin tokens) failed, trying again: {Reason}")]
    private static partial void LogHousekeepingFailed(ILogger log, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "etcd does not answer ({Reason}): this replica serves reads from its copy as it is and refuses writes until etcd answers")]
    private static partial void LogFollowingStale(ILogger log, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Replica role failed, retrying in 1 s: {Reason}")]
    private static partial void LogRoleFailed(ILogger log, string reason);
}
