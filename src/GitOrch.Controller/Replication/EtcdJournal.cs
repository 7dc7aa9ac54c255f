using System.Globalization;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text.Json;
using dotnet_etcd;
using Etcdserverpb;
using GitOrch.Core.State;
using Google.Protobuf;
using Grpc.Core;

namespace GitOrch.Controller.Replication;

/// <summary>
/// The control plane's journal in etcd: entry N (one store transaction: its database and its
/// statements, compressed) is <c>PREFIX/log/N</c>, written only if absent and only under the
/// leader's term (<see cref="LeaderElection.CommitAsync"/>), so a deposed leader writes nothing
/// and two leaders can never both write entry N. An entry over the request limit is written as
/// parts (<c>PREFIX/parts/N/i</c>) first and becomes visible with its header. Snapshots
/// (<see cref="JournalSnapshots"/>) let the entries before them go, so etcd stays small.
/// </summary>
public sealed class EtcdJournal : IStateJournal
{
    /// <summary>etcd refuses requests over 1.5 MiB by default; parts stay well under it, and are read one at a time.</summary>
    internal const int MaxPart = 1 << 20;

    /// <summary>
    /// Entries up to this size are written inline (in their header); larger ones in parts. A page
    /// of inline entries then stays under the client's 4 MiB answer limit.
    /// </summary>
    internal const int MaxInline = 64 << 10;

    private static readonly TimeSpan WriteTimeout = TimeSpan.FromSeconds(8);
    private static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(5);

    private readonly EtcdClient _client;
    private readonly LeaderElection _election;
    private readonly SemaphoreSlim _writer = new(1, 1);
    private long _next;
    private long _termRevision = -1;
    private volatile string? _broken;

    public EtcdJournal(EtcdClient client, string prefix, LeaderElection election)
    {
        _client = client;
        _election = election;
        Prefix = prefix;
    }

    public string Prefix { get; }

    /// <summary>The index the next entry gets (while this replica leads), for status.</summary>
    public long Next => Interlocked.Read(ref _next);

    internal string LogPrefix => Prefix + "log/";

    internal string LogKey(long index) => LogPrefix + index.ToString("D20", CultureInfo.InvariantCulture);

    internal string PartsPrefix(long index) => Prefix + "parts/" + index.ToString("D20", CultureInfo.InvariantCulture) + "/";

    /// <summary>
    /// Opens a term for writing after this replica caught up to <paramref name="last"/>, the last
    /// entry in etcd: the next write is entry last+1. Parts of an entry a crashed leader never
    /// finished are removed.
    /// </summary>
    public async Task StartTermAsync(LeaderTerm term, long last, CancellationToken ct)
    {
        await _writer.WaitAsync(ct);
        try
        {
            var orphans = new TxnRequest();
            orphans.Success.Add(new RequestOp { RequestDeleteRange = new DeleteRangeRequest { Key = Key(Prefix + "parts/" + (last + 1).ToString("D20", CultureInfo.InvariantCulture)), RangeEnd = Key(Prefix + "parts0") } });
            await _election.CommitAsync(orphans, term, ct);
            Interlocked.Exchange(ref _next, last + 1);
            _termRevision = term.Revision;
            _broken = null;
        }
        finally
        {
            _writer.Release();
        }
    }

    /// <summary>Runs <paramref name="action"/> with no write in flight, given the last entry's index (a snapshot).</summary>
    public async Task ExclusiveAsync(Func<long, Task> action, CancellationToken ct)
    {
        await _writer.WaitAsync(ct);
        try
        {
            await action(Interlocked.Read(ref _next) - 1);
        }
        finally
        {
            _writer.Release();
        }
    }

    public IJournalWrite BeginWrite()
    {
        var term = _election.Term ?? throw Refused();
        if (!_writer.Wait(TimeSpan.FromSeconds(30)))
        {
            throw new JournalRefusedException("the journal is busy for over 30 s (etcd is slow or does not answer); the write was not made, try again");
        }

        if (term.Revision != _termRevision || _broken is { } why)
        {
            _writer.Release();
            throw _broken is { } broken
                ? new JournalRefusedException($"this replica stopped writing: {broken}; it writes again after it caught up with etcd (a new term)")
                : new JournalRefusedException("this replica leads but has not yet caught up with the journal; try again in a moment");
        }

        return new Write(this, Interlocked.Read(ref _next), term);
    }

    /// <summary>A refusal naming the leader (or why there is none).</summary>
    public JournalRefusedException Refused()
    {
        var state = _election.State;
        // Unavailable: etcd does not answer. Leader without a term: its lease lapsed before etcd
        // confirmed a renewal. Either way the leader it saw last may be itself or gone: not named.
        return new JournalRefusedException(
            state.Role is ReplicaRole.Unavailable or ReplicaRole.Leader
                ? $"this replica cannot write: {state.Reason ?? "its leader lease lapsed before etcd confirmed a renewal"}"
                : state.Leader is { } leader
                    ? $"this replica is not the leader; {leader} is"
                    : $"no replica leads now ({state.Reason ?? "election in progress"}); try again when one does");
    }

    /// <summary>Writes entry <paramref name="index"/> (parts first when large) under the term. Null when written; the reason otherwise.</summary>
    private async Task<JournalRefusedException?> AppendAsync(long index, LeaderTerm term, string database, IReadOnlyList<string> statements)
    {
        var payload = JournalEntry.Encode(database, statements);
        using var timeout = new CancellationTokenSource(WriteTimeout);
        try
        {
            ByteString header;
            if (payload.Length <= MaxInline)
            {
                header = ByteString.CopyFrom(payload);
            }
            else
            {
                var parts = EtcdParts.Count(payload.Length);
                for (var i = 0; i < parts; i++)
                {
                    var part = new TxnRequest();
                    part.Success.Add(new RequestOp { RequestPut = new PutRequest { Key = Key(EtcdParts.Key(PartsPrefix(index), i)), Value = EtcdParts.Slice(payload, i) } });
                    await CommitRetryingAsync(part, term, timeout.Token); // A put: the same again is harmless.
                }

                header = ByteString.CopyFromUtf8(JsonSerializer.Serialize(new JournalParts(parts, Convert.ToHexStringLower(SHA256.HashData(payload)))));
            }

            var txn = new TxnRequest();
            txn.Compare.Add(new Compare { Key = Key(LogKey(index)), Target = Compare.Types.CompareTarget.Version, Result = Compare.Types.CompareResult.Equal, Version = 0 });
            if (!JournalEntry.IsInline(header.Span))
            {
                // Every part must still be there: a header that lands late (its first try timed out,
                // and a new term removed the parts it found without a header) must not land alone.
                for (var i = 0; i < EtcdParts.Count(payload.Length); i++)
                {
                    txn.Compare.Add(new Compare { Key = Key(EtcdParts.Key(PartsPrefix(index), i)), Target = Compare.Types.CompareTarget.Version, Result = Compare.Types.CompareResult.Greater, Version = 0 });
                }
            }

            txn.Success.Add(new RequestOp { RequestPut = new PutRequest { Key = Key(LogKey(index)), Value = header } });
            var (response, retried) = await CommitRetryingAsync(txn, term, timeout.Token);
            if (!response.Succeeded && retried && await HoldsAsync(LogKey(index), header, timeout.Token))
            {
                return null; // An earlier try landed (its answer was lost): the entry is this one.
            }

            if (!response.Succeeded)
            {
                _broken = $"entry {index} of the journal was written by another replica, or its parts are gone";
                return new JournalRefusedException($"{_broken}; this replica catches up before it writes again");
            }

            return null;
        }
        catch (NotLeaderException ex)
        {
            return new JournalRefusedException(ex.Message, null, ex);
        }
        catch (Exception ex) when (EtcdParts.IsUnreachable(ex))
        {
            // The outcome is unknown (etcd may have written the entry): no more writes in this term.
            _broken = $"etcd did not confirm entry {index} ({ex.Message})";
            return new JournalRefusedException($"the write's outcome is unknown: {_broken}; it counts only if etcd kept it, which this replica learns when it catches up", null, ex);
        }
    }

    /// <summary>
    /// Runs a guarded transaction, trying again while an etcd member does not answer (another one
    /// will, while quorum holds): every journal transaction is safe to repeat, since its compares
    /// refuse a second landing and a repeated put writes the same bytes. Gives up when the write's
    /// time is over. Says whether it tried more than once.
    /// </summary>
    private async Task<(TxnResponse Response, bool Retried)> CommitRetryingAsync(TxnRequest txn, LeaderTerm term, CancellationToken ct)
    {
        var retried = false;
        while (true)
        {
            try
            {
                return (await _election.CommitAsync(txn, term, ct), retried);
            }
            catch (RpcException ex) when (!ct.IsCancellationRequested && ex.StatusCode is StatusCode.Unavailable or StatusCode.DeadlineExceeded or StatusCode.Unknown or StatusCode.Internal)
            {
                retried = true;
                await Task.Delay(RetryDelay, ct);
            }
        }
    }

    private static readonly TimeSpan RetryDelay = TimeSpan.FromMilliseconds(200);

    /// <summary>Whether <paramref name="key"/> holds exactly <paramref name="value"/>.</summary>
    private async Task<bool> HoldsAsync(string key, ByteString value, CancellationToken ct)
    {
        var response = await _client.GetAsync(new RangeRequest { Key = Key(key) }, deadline: Deadline(), cancellationToken: ct);
        return response.Kvs.Count == 1 && response.Kvs[0].Value.Equals(value);
    }

    /// <summary>True while writes are possible in the current term (false after an unconfirmed or conflicting write).</summary>
    public string? Broken => _broken;

    private static ByteString Key(string key) => ByteString.CopyFromUtf8(key);

    internal DateTime Deadline() => DateTime.UtcNow + CallTimeout;

    internal EtcdClient Client => _client;

    private sealed class Write(EtcdJournal journal, long index, LeaderTerm term) : IJournalWrite
    {
        private bool _released;

        public long Index => index;

        public JournalRefusedException? Failure { get; private set; }

        public bool Append(string database, IReadOnlyList<string> statements)
        {
            // Called from SQLite's commit hook on the writer's thread: the store's lock is held and
            // the transaction waits; etcd's answer decides whether it commits.
            try
            {
                Failure = Task.Run(() => journal.AppendAsync(index, term, database, statements)).GetAwaiter().GetResult();
            }
            catch (Exception ex)
            {
                // Nothing may escape into SQLite's native callback: the commit rolls back instead.
                journal._broken = $"writing entry {index} failed ({ex.Message})";
                Failure = new JournalRefusedException($"the write was refused: {journal._broken}", null, ex);
            }

            return Failure is null;
        }

        public void Complete() => Interlocked.Exchange(ref journal._next, index + 1);

        public void Dispose()
        {
            if (!_released)
            {
                _released = true;
                journal._writer.Release();
            }
        }
    }
}
