using dotnet_etcd;
using Etcdserverpb;
using Google.Protobuf;
using Grpc.Core;
using Microsoft.Extensions.Logging;

namespace GitOrch.Controller.Replication;

/// <summary>
/// Leader election among controller replicas on etcd, with one lease per replica (TTL ≤ 10 s).
/// Each tick (at most a second apart) a replica renews its lease and tries to create the
/// leader key under it; the replica whose create succeeds leads until its lease lapses. The key's
/// create revision fences every write of that term (<see cref="CommitAsync"/>): a replica that lost
/// the key cannot write, whatever it believes. A leader that cannot renew its lease steps down
/// before the lease can have expired on the server, so two replicas never both think they lead.
/// The replica also registers itself under <c>replicas/NAME</c> on the same lease, so every
/// replica can list the live ones for <c>status</c>.
/// </summary>
public sealed partial class LeaderElection
{
    private static readonly TimeSpan MaxTick = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan MaxCall = TimeSpan.FromSeconds(3);
    private static readonly TimeSpan WriteTimeout = TimeSpan.FromSeconds(5);

    private readonly EtcdClient _client;
    private readonly ReplicaInfo _self;
    private readonly TimeSpan _ttl;
    private readonly TimeProvider _time;
    private readonly ILogger _log;
    private readonly ByteString _leaderKey;
    private readonly string _replicasPrefix;
    private readonly object _gate = new();
    private LeadershipState _state;
    private IReadOnlyList<ReplicaInfo> _replicas = [];
    private LeaderTerm? _term;
    private CancellationTokenSource? _termSource;
    private long _lease;
    private long _leaseValidUntil;
    private long _lastRenewal;

    public LeaderElection(EtcdClient client, string prefix, ReplicaInfo self, TimeSpan ttl, TimeProvider time, ILogger<LeaderElection> log)
    {
        if (ttl < TimeSpan.FromSeconds(2) || ttl > TimeSpan.FromSeconds(10))
        {
            throw new ArgumentOutOfRangeException(nameof(ttl), ttl, "the leader lease TTL must be between 2 and 10 seconds");
        }

        _client = client;
        _self = self;
        _ttl = ttl;
        _time = time;
        _log = log;
        _leaderKey = ByteString.CopyFromUtf8(prefix + "leader");
        _replicasPrefix = prefix + "replicas/";
        _state = new LeadershipState(ReplicaRole.Starting, null, "not yet connected to etcd", time.GetUtcNow());
    }

    /// <summary>Raised after every change of role or leader.</summary>
    public event Action<LeadershipState>? Changed;

    public LeadershipState State => Volatile.Read(ref _state);

    /// <summary>This replica, as it registers itself.</summary>
    public ReplicaInfo Self => _self;

    /// <summary>The live replicas as of the last tick that reached etcd (read in the same transaction as the leader key).</summary>
    public IReadOnlyList<ReplicaInfo> Replicas => Volatile.Read(ref _replicas);

    /// <summary>The current term when this replica leads; null otherwise.</summary>
    public LeaderTerm? Term
    {
        get
        {
            lock (_gate)
            {
                return _term is { Lost.IsCancellationRequested: false } term ? term : null;
            }
        }
    }

    private TimeSpan Tick => _ttl / 3 < MaxTick ? _ttl / 3 : MaxTick;

    /// <summary>Campaigns and holds leadership until cancelled; then resigns (deletes the key and revokes the lease).</summary>
    public async Task RunAsync(CancellationToken ct)
    {
        try
        {
            while (!ct.IsCancellationRequested)
            {
                try
                {
                    await StepAsync(ct);
                }
                catch (OperationCanceledException) when (ct.IsCancellationRequested)
                {
                    break;
                }
                catch (Exception e) when (EtcdParts.IsUnreachable(e))
                {
                    OnEtcdUnreachable(e);
                }

                try
                {
                    await Task.Delay(Tick, _time, ct);
                }
                catch (OperationCanceledException) when (ct.IsCancellationRequested)
                {
                    break;
                }
            }
        }
        finally
        {
            await ResignAsync();
        }
    }

    /// <summary>
    /// Runs a transaction only while this replica leads: etcd checks that the leader key still has
    /// this term's create revision, then runs <paramref name="txn"/> (with its own compares) as a
    /// nested transaction. Throws <see cref="NotLeaderException"/> and writes nothing otherwise.
    /// </summary>
    public Task<TxnResponse> CommitAsync(TxnRequest txn, CancellationToken ct) => CommitAsync(txn, null, ct);

    /// <summary>
    /// As <see cref="CommitAsync(TxnRequest, CancellationToken)"/>, fenced on <paramref name="within"/>:
    /// a write begun in one term never lands in a later one of the same replica.
    /// </summary>
    public async Task<TxnResponse> CommitAsync(TxnRequest txn, LeaderTerm? within, CancellationToken ct)
    {
        var term = Term ?? throw new NotLeaderException(NotLeaderMessage());
        if (within is not null && within.Revision != term.Revision)
        {
            throw new NotLeaderException($"the term this write began in ({within.Revision}) has ended");
        }

        var guarded = new TxnRequest();
        guarded.Compare.Add(new Compare
        {
            Key = _leaderKey,
            Target = Compare.Types.CompareTarget.Create,
            Result = Compare.Types.CompareResult.Equal,
            CreateRevision = term.Revision,
        });
        guarded.Success.Add(new RequestOp { RequestTxn = txn });
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, term.Lost);
        var response = await _client.TransactionAsync(guarded, deadline: DateTime.UtcNow + WriteTimeout, cancellationToken: linked.Token);
        if (!response.Succeeded)
        {
            StepDown(ReplicaRole.Follower, null, "the leader key moved to another term (this replica's lease lapsed)");
            throw new NotLeaderException(NotLeaderMessage());
        }

        return response.Responses[0].ResponseTxn;
    }

    /// <summary>The replicas whose leases are alive, as they registered themselves.</summary>
    public async Task<IReadOnlyList<ReplicaInfo>> ReplicasAsync(CancellationToken ct)
    {
        var response = await _client.GetRangeAsync(_replicasPrefix, deadline: Deadline(), cancellationToken: ct);
        return response.Kvs
            .Select(kv => ReplicaInfo.Parse(kv.Value.ToStringUtf8()))
            .OfType<ReplicaInfo>()
            .OrderBy(r => r.Name, StringComparer.Ordinal)
            .ToList();
    }

    private async Task StepAsync(CancellationToken ct)
    {
        if (Interlocked.Read(ref _lease) == 0)
        {
            await StartSessionAsync(ct);
        }
        else if (_time.GetElapsedTime(Interlocked.Read(ref _lastRenewal)) >= Tick)
        {
            await RenewAsync(ct);
        }

        var lease = Interlocked.Read(ref _lease);
        if (lease == 0)
        {
            return;
        }

        // One transaction per tick: create the leader key if nobody holds it, else read who does.
        var txn = new TxnRequest();
        txn.Compare.Add(new Compare { Key = _leaderKey, Target = Compare.Types.CompareTarget.Create, Result = Compare.Types.CompareResult.Equal, CreateRevision = 0 });
        txn.Success.Add(new RequestOp { RequestPut = new PutRequest { Key = _leaderKey, Value = ByteString.CopyFromUtf8(_self.Name), Lease = lease } });
        txn.Failure.Add(new RequestOp { RequestRange = new RangeRequest { Key = _leaderKey } });
        var registry = new RequestOp { RequestRange = new RangeRequest { Key = ByteString.CopyFromUtf8(_replicasPrefix), RangeEnd = ByteString.CopyFromUtf8(RangeEndOf(_replicasPrefix)) } };
        txn.Success.Add(registry);
        txn.Failure.Add(registry);
        var response = await _client.TransactionAsync(txn, deadline: Deadline(), cancellationToken: ct);
        Volatile.Write(ref _replicas, response.Responses[1].ResponseRange.Kvs
            .Select(kv => ReplicaInfo.Parse(kv.Value.ToStringUtf8()))
            .OfType<ReplicaInfo>()
            .OrderBy(r => r.Name, StringComparer.Ordinal)
            .ToList());
        if (response.Succeeded)
        {
            BecomeLeader(lease, response.Header.Revision);
            return;
        }

        var kv = response.Responses[0].ResponseRange.Kvs.FirstOrDefault();
        if (kv is null)
        {
            return; // deleted between compare and range: the next tick campaigns again
        }

        if (kv.Lease == lease)
        {
            BecomeLeader(lease, kv.CreateRevision); // still ours: confirmed again after a renewal
        }
        else
        {
            StepDown(ReplicaRole.Follower, kv.Value.ToStringUtf8(), null);
        }
    }

    private async Task StartSessionAsync(CancellationToken ct)
    {
        var sentAt = _time.GetTimestamp();
        var grant = await _client.LeaseGrantAsync(new LeaseGrantRequest { TTL = (long)_ttl.TotalSeconds }, deadline: Deadline(), cancellationToken: ct);
        if (!string.IsNullOrEmpty(grant.Error))
        {
            throw new RpcException(new Status(StatusCode.Unavailable, grant.Error));
        }

        await _client.PutAsync(new PutRequest { Key = ByteString.CopyFromUtf8(_replicasPrefix + _self.Name), Value = ByteString.CopyFromUtf8(_self.ToJson()), Lease = grant.ID }, deadline: Deadline(), cancellationToken: ct);
        Interlocked.Exchange(ref _leaseValidUntil, sentAt + (long)(TimeSpan.FromSeconds(grant.TTL).TotalSeconds * _time.TimestampFrequency));
        Interlocked.Exchange(ref _lastRenewal, sentAt);
        Interlocked.Exchange(ref _lease, grant.ID);
        LogSession(_log, _self.Name, grant.ID, grant.TTL);
    }

    private async Task RenewAsync(CancellationToken ct)
    {
        var lease = Interlocked.Read(ref _lease);
        var sentAt = _time.GetTimestamp();
        long ttl = -1;
        using var timeout = new CancellationTokenSource(CallTimeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, timeout.Token);
        await _client.LeaseKeepAlive(new LeaseKeepAliveRequest { ID = lease }, r => ttl = r.TTL, linked.Token, null);
        if (ttl <= 0)
        {
            // The server forgot the lease: whatever this replica held under it is gone.
            Interlocked.Exchange(ref _lease, 0);
            StepDown(ReplicaRole.Follower, null, "this replica's lease expired on etcd; starting a new session");
            return;
        }

        Interlocked.Exchange(ref _leaseValidUntil, sentAt + (long)(ttl * _time.TimestampFrequency));
        Interlocked.Exchange(ref _lastRenewal, sentAt);
        lock (_gate)
        {
            _termSource?.CancelAfter(LeadershipMargin());
        }
    }

    private void OnEtcdUnreachable(Exception e)
    {
        var reason = $"etcd does not answer ({Describe(e)}); writing nothing until it does";
        if (State.Role != ReplicaRole.Unavailable)
        {
            LogUnreachable(_log, _self.Name, reason); // Once per outage, not on every tick.
        }

        if (Interlocked.Read(ref _lease) != 0 && RemainingLease() <= TimeSpan.Zero)
        {
            Interlocked.Exchange(ref _lease, 0);
        }

        // A leader keeps its term while its lease is surely alive (the term's token fires before
        // the lease can lapse on the server); the role shown becomes Unavailable either way.
        var leading = Term is not null;
        // A follower cut off from etcd does not know who leads now: it names nobody.
        Publish(new LeadershipState(leading ? ReplicaRole.Leader : ReplicaRole.Unavailable, leading ? _self.Name : null, reason, _time.GetUtcNow()));
    }

    private void BecomeLeader(long lease, long revision)
    {
        lock (_gate)
        {
            if (_term is { Lost.IsCancellationRequested: false } current && current.LeaseId == lease && current.Revision == revision)
            {
                if (State.Reason is not null)
                {
                    Publish(new LeadershipState(ReplicaRole.Leader, _self.Name, null, _time.GetUtcNow()));
                }

                return;
            }

            _termSource?.Dispose();
            _termSource = new CancellationTokenSource(LeadershipMargin(), _time);
            _term = new LeaderTerm(lease, revision, _termSource.Token);
        }

        LogLeading(_log, _self.Name, revision);
        Publish(new LeadershipState(ReplicaRole.Leader, _self.Name, null, _time.GetUtcNow()));
    }

    private void StepDown(ReplicaRole role, string? leader, string? reason)
    {
        bool wasLeader;
        lock (_gate)
        {
            wasLeader = _term is { Lost.IsCancellationRequested: false };
            _termSource?.Cancel();
            _term = null;
        }

        if (wasLeader)
        {
            LogSteppedDown(_log, _self.Name, reason ?? $"{leader} leads");
        }

        var current = State;
        if (current.Role != role || current.Leader != leader || current.Reason != reason)
        {
            Publish(new LeadershipState(role, leader, reason, _time.GetUtcNow()));
        }
    }

    private async Task ResignAsync()
    {
        var lease = Interlocked.Exchange(ref _lease, 0);
        StepDown(ReplicaRole.Follower, null, "this replica stopped");
        if (lease == 0)
        {
            return;
        }

        try
        {
            // Revoking the lease deletes the leader key and the replica entry at once, so another
            // replica takes over within one tick instead of a whole TTL.
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            await _client.LeaseRevokeAsync(new LeaseRevokeRequest { ID = lease }, cancellationToken: timeout.Token);
        }
        catch (Exception e) when (e is RpcException or OperationCanceledException)
        {
            LogResignFailed(_log, e, _self.Name);
        }
    }

    /// <summary>How long this replica may still act as leader: the lease's sure lifetime less a safety margin for clock drift.</summary>
    private TimeSpan LeadershipMargin()
    {
        var remaining = RemainingLease() - _ttl / 5;
        return remaining > TimeSpan.Zero ? remaining : TimeSpan.FromMilliseconds(1);
    }

    private TimeSpan RemainingLease()
    {
        var until = Interlocked.Read(ref _leaseValidUntil);
        var now = _time.GetTimestamp();
        return TimeSpan.FromSeconds((until - now) / (double)_time.TimestampFrequency);
    }

    /// <summary>How long one election call may take: long enough to ride out an etcd leader change (about a second), short against the lease.</summary>
    private TimeSpan CallTimeout => _ttl / 2 < MaxCall ? _ttl / 2 : MaxCall;

    private DateTime Deadline() => DateTime.UtcNow + CallTimeout;

    private void Publish(LeadershipState state)
    {
        Volatile.Write(ref _state, state);
        Changed?.Invoke(state);
    }

    private string NotLeaderMessage()
    {
        var state = State;
        return state.Leader is { } leader && leader != _self.Name
            ? $"replica {_self.Name} is not the leader; {leader} is: send writes there"
            : $"replica {_self.Name} is not the leader ({state.Reason ?? "no leader elected yet"}); retry in a few seconds";
    }

    /// <summary>The end of the key range of every key that starts with <paramref name="prefix"/> (its last byte plus one).</summary>
    private static string RangeEndOf(string prefix) => prefix[..^1] + (char)(prefix[^1] + 1);

    private static string Describe(Exception e) => e is RpcException rpc ? $"{rpc.StatusCode}: {rpc.Status.Detail}" : e.GetType().Name;

    [LoggerMessage(Level = LogLevel.Information, Message = "Replica {Replica} holds etcd lease {Lease:x} (TTL {Ttl} s)")]
    private static partial void LogSession(ILogger logger, string replica, long lease, long ttl);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Replica {Replica} leads (term revision {Revision})")]
    private static partial void LogLeading(ILogger logger, string replica, long revision);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Replica {Replica} stepped down: {Reason}")]
    private static partial void LogSteppedDown(ILogger logger, string replica, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Replica {Replica} cannot reach etcd: {Reason}")]
    private static partial void LogUnreachable(ILogger logger, string replica, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Replica {Replica} could not revoke its lease on stop; it lapses by itself")]
    private static partial void LogResignFailed(ILogger logger, Exception exception, string replica);
}
