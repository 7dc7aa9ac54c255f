using System.Globalization;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text.Json;
using dotnet_etcd;
using Etcdserverpb;
using GitOrch.Storage;
using Google.Protobuf;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;

namespace GitOrch.Controller.Replication;

/// <summary>
/// This replica's copy of the control plane's state: the SQLite databases in its state folder,
/// kept equal to the journal in etcd. It applies the entries it lacks in order (each in one local
/// transaction that also records the entry's index), restores a snapshot when it is new to the
/// cluster or has fallen behind the oldest entry still kept, and (on the leader) writes snapshots
/// so that the entries before them can go. Nothing here writes outside the state folder.
/// </summary>
public sealed partial class JournalReplica : IDisposable
{
    /// <summary>The databases of the control plane's state, in the state folder.</summary>
    public static readonly IReadOnlyList<string> Databases = [History.Store.HistoryStore.FileName, Trust.TokenStore.FileName];

    /// <summary>The file in the state folder naming the cluster whose state the folder holds.</summary>
    public const string ClusterFile = "cluster-id";

    private const int Page = 50; // Inline entries are at most 64 KiB: a page stays under 4 MiB.

    private readonly EtcdJournal _journal;
    private readonly string _stateDir;
    private readonly ILogger _log;
    private readonly Dictionary<string, SqliteConnection> _open = new(StringComparer.Ordinal);

    public JournalReplica(EtcdJournal journal, string stateDir, ILogger<JournalReplica> log)
    {
        _journal = journal;
        _stateDir = stateDir;
        _log = log;
    }

    /// <summary>Entries applied by this replica since it started (for status and tests).</summary>
    public long AppliedEntries { get; private set; }

    private EtcdClient Client => _journal.Client;

    private string SnapshotKey => _journal.Prefix + "snapshot";

    private string ClusterKey => _journal.Prefix + "cluster";

    /// <summary>True when the state folder holds a copy of a cluster's state (it joined one before).</summary>
    public bool HasCopy => File.Exists(ClusterPath);

    /// <summary>
    /// The index of the last entry this copy has processed (0 when none): entries are applied in
    /// order and each marks only the database it changes, so the highest mark is how far the copy is.
    /// </summary>
    public long Applied() => Databases.Max(d => SqliteJournal.Applied(Connection(d)));

    /// <summary>
    /// Creates (or migrates) the stores' tables in the local databases, as every store does when it
    /// opens: the journal carries rows, not schema, so each copy has the same schema first.
    /// </summary>
    public void EnsureSchema()
    {
        if (_schemaReady)
        {
            return;
        }

        var state = Path.Combine(_stateDir, History.Store.HistoryStore.FileName);
        History.Store.HistoryStore.Open(_stateDir).Dispose();
        new Workflow.Store.WorkflowStore(state).Dispose();
        new Agents.AgentGateway(state, new Nodes.NodeRegistry(), TimeProvider.System).Dispose();
        new Trust.TokenStore(_stateDir, TimeProvider.System).Dispose();
        _schemaReady = true;
    }

    private bool _schemaReady;

    /// <summary>Sets every local database's applied index (a new cluster starts from this replica's state at 0).</summary>
    public void MarkApplied(long index)
    {
        foreach (var database in Databases)
        {
            var db = Connection(database);
            SqliteJournal.CreateTable(db);
            db.Exec($"INSERT INTO {SqliteJournal.Table}(id, applied) VALUES(1, {index.ToString(CultureInfo.InvariantCulture)}) ON CONFLICT(id) DO UPDATE SET applied = excluded.applied");
        }
    }

    /// <summary>
    /// One read that must answer within <paramref name="within"/>: a linearizable read waits for a
    /// quorum, so when quorum is lost this fails (DeadlineExceeded) in that time instead of one
    /// call's full timeout.
    /// </summary>
    public async Task ProbeAsync(TimeSpan within, CancellationToken ct) =>
        await Client.GetAsync(new RangeRequest { Key = ByteString.CopyFromUtf8(ClusterKey), CountOnly = true }, deadline: DateTime.UtcNow + within, cancellationToken: ct);

    /// <summary>The cluster id in etcd, or null before the first leader created the cluster's state.</summary>
    public async Task<string?> ClusterAsync(CancellationToken ct)
    {
        var response = await GetAsync(new RangeRequest { Key = ByteString.CopyFromUtf8(ClusterKey) }, ct);
        return response.Kvs.Count == 0 ? null : response.Kvs[0].Value.ToStringUtf8();
    }

    /// <summary>
    /// Brings the local state to the journal's last entry: restores the snapshot first when this
    /// folder holds another cluster's state (or none) or lacks entries etcd no longer keeps.
    /// Returns the last entry's index, or null while the cluster has no state yet (no leader has
    /// written its first snapshot).
    /// </summary>
    public async Task<long?> CatchUpAsync(bool allowRestore, CancellationToken ct)
    {
        if (await ClusterAsync(ct) is not { } cluster)
        {
            return null;
        }

        var local = File.Exists(ClusterPath) ? (await File.ReadAllTextAsync(ClusterPath, ct)).Trim() : null;
        var applied = local == cluster ? Applied() : -1;
        var first = await FirstIndexAsync(ct);
        if (applied < 0 || (first is { } f && applied + 1 < f) || (first is null && applied < await SnapshotIndexAsync(ct)))
        {
            if (!allowRestore)
            {
                throw new InvalidOperationException("this replica's copy needs the snapshot restored (it fell behind the oldest entry etcd keeps); its host restarts");
            }

            applied = await RestoreAsync(cluster, ct);
        }

        EnsureSchema();
        var last = applied;
        while (true)
        {
            var entries = await ReadAsync(last, Page, ct);
            foreach (var entry in entries)
            {
                if (!Databases.Contains(entry.Database))
                {
                    throw new InvalidDataException($"entry {entry.Index} of the journal names an unknown database {entry.Database}; this replica does not apply it");
                }

                if (SqliteJournal.Apply(Connection(entry.Database), entry.Index, entry.Statements))
                {
                    AppliedEntries++;
                }

                last = entry.Index;
            }

            if (entries.Count < Page)
            {
                return last;
            }
        }
    }

    /// <summary>The last entry in etcd (0 when none).</summary>
    public async Task<long> LastIndexAsync(CancellationToken ct)
    {
        var response = await GetAsync(new RangeRequest
        {
            Key = ByteString.CopyFromUtf8(_journal.LogPrefix),
            RangeEnd = ByteString.CopyFromUtf8(PrefixEnd(_journal.LogPrefix)),
            SortOrder = RangeRequest.Types.SortOrder.Descend,
            SortTarget = RangeRequest.Types.SortTarget.Key,
            Limit = 1,
            KeysOnly = true,
        }, ct);
        return response.Kvs.Count == 0 ? await SnapshotIndexAsync(ct) : IndexOf(response.Kvs[0].Key.ToStringUtf8());
    }

    private async Task<long?> FirstIndexAsync(CancellationToken ct)
    {
        var response = await GetAsync(new RangeRequest
        {
            Key = ByteString.CopyFromUtf8(_journal.LogPrefix),
            RangeEnd = ByteString.CopyFromUtf8(PrefixEnd(_journal.LogPrefix)),
            Limit = 1,
            KeysOnly = true,
        }, ct);
        return response.Kvs.Count == 0 ? null : IndexOf(response.Kvs[0].Key.ToStringUtf8());
    }

    private async Task<long> SnapshotIndexAsync(CancellationToken ct) =>
        await SnapshotAsync(ct) is { } snapshot ? snapshot.Index : 0;

    /// <summary>The entries after <paramref name="after"/>, oldest first (at most <paramref name="limit"/>).</summary>
    public async Task<IReadOnlyList<JournalEntry>> ReadAsync(long after, int limit, CancellationToken ct)
    {
        var response = await GetAsync(new RangeRequest
        {
            Key = ByteString.CopyFromUtf8(_journal.LogKey(after + 1)),
            RangeEnd = ByteString.CopyFromUtf8(PrefixEnd(_journal.LogPrefix)),
            Limit = limit,
        }, ct);
        var entries = new List<JournalEntry>(response.Kvs.Count);
        var expected = after + 1;
        foreach (var kv in response.Kvs)
        {
            var index = IndexOf(kv.Key.ToStringUtf8());
            if (index != expected)
            {
                throw new InvalidDataException($"the journal in etcd has no entry {expected} but has {index}; restore this replica from a snapshot (move its state folder aside and start it again)");
            }

            var header = kv.Value.Span;
            var payload = JournalEntry.IsInline(header) ? header.ToArray() : await PartsAsync(index, header.ToArray(), ct);
            entries.Add(JournalEntry.Decode(index, payload));
            expected++;
        }

        return entries;
    }

    private async Task<byte[]> PartsAsync(long index, byte[] header, CancellationToken ct)
    {
        var parts = JsonSerializer.Deserialize<JournalParts>(header) ?? throw new InvalidDataException($"entry {index} has an unreadable header");
        var prefix = _journal.PartsPrefix(index);
        var bytes = await ReadPartsAsync(prefix, parts.Parts, ct);
        if (Convert.ToHexStringLower(SHA256.HashData(bytes)) != parts.Sha256)
        {
            throw new InvalidDataException($"entry {index} of the journal does not match its checksum");
        }

        return bytes;
    }

    private async Task<byte[]> ReadPartsAsync(string prefix, int count, CancellationToken ct)
    {
        // One part per request: a part is up to 1 MiB, and an answer may not exceed 4 MiB.
        using var buffer = new MemoryStream();
        for (var i = 0; i < count; i++)
        {
            var key = EtcdParts.Key(prefix, i);
            var response = await GetAsync(new RangeRequest { Key = ByteString.CopyFromUtf8(key) }, ct);
            if (response.Kvs.Count != 1)
            {
                throw new InvalidDataException($"{key} is missing ({count} parts expected)");
            }

            response.Kvs[0].Value.WriteTo(buffer);
        }

        return buffer.ToArray();
    }

    // ---- snapshots ------------------------------------------------------------------------------

    private sealed record SnapshotFile(string Database, int Parts, string Sha256, long Bytes);

    private sealed record Snapshot(long Index, string Cluster, IReadOnlyList<SnapshotFile> Files);

    private async Task<Snapshot?> SnapshotAsync(CancellationToken ct)
    {
        var response = await GetAsync(new RangeRequest { Key = ByteString.CopyFromUtf8(SnapshotKey) }, ct);
        return response.Kvs.Count == 0 ? null : JsonSerializer.Deserialize<Snapshot>(response.Kvs[0].Value.Span);
    }

    private string SnapshotPrefix(long index) => _journal.Prefix + "snap/" + index.ToString("D20", CultureInfo.InvariantCulture) + "/";

    /// <summary>
    /// The leader's snapshot of the local state at entry <paramref name="index"/> (the caller holds
    /// the journal so no write runs meanwhile): each database copied (VACUUM INTO), compressed and
    /// written in parts under the term; then the snapshot record, the cluster id when new, and the
    /// removal of the entries and parts it covers, in one guarded transaction; then etcd compacts
    /// its history so the space returns.
    /// </summary>
    public async Task WriteSnapshotAsync(LeaderElection election, long index, CancellationToken ct) =>
        await PublishSnapshotAsync(election, TakeSnapshot(index), ct);

    /// <summary>The local databases at entry <paramref name="index"/>, compressed (the caller holds the journal: no write runs meanwhile).</summary>
    public SnapshotCopy TakeSnapshot(long index) =>
        new(index, [.. Databases.Select(d => (d, Compress(Copy(d, index))))]);

    /// <summary>A snapshot taken, not yet in etcd.</summary>
    public sealed record SnapshotCopy(long Index, IReadOnlyList<(string Database, byte[] Bytes)> Files);

    /// <summary>
    /// Writes a snapshot taken by <see cref="TakeSnapshot"/> to etcd (writes may run meanwhile: the
    /// entries after its index stay), then drops what it covers.
    /// </summary>
    public async Task PublishSnapshotAsync(LeaderElection election, SnapshotCopy copy, CancellationToken ct)
    {
        var index = copy.Index;
        var cluster = await ClusterAsync(ct) ?? Guid.NewGuid().ToString("N");
        var previous = await SnapshotAsync(ct);
        var files = new List<SnapshotFile>();
        foreach (var (database, bytes) in copy.Files)
        {
            var parts = EtcdParts.Count(bytes.Length);
            for (var i = 0; i < parts; i++)
            {
                var put = new TxnRequest();
                put.Success.Add(new RequestOp { RequestPut = new PutRequest { Key = ByteString.CopyFromUtf8(EtcdParts.Key(SnapshotPrefix(index) + database + "/", i)), Value = EtcdParts.Slice(bytes, i) } });
                await election.CommitAsync(put, ct);
            }

            files.Add(new SnapshotFile(database, parts, Convert.ToHexStringLower(SHA256.HashData(bytes)), bytes.Length));
        }

        var record = new TxnRequest();
        record.Success.Add(new RequestOp { RequestPut = new PutRequest { Key = ByteString.CopyFromUtf8(SnapshotKey), Value = ByteString.CopyFrom(JsonSerializer.SerializeToUtf8Bytes(new Snapshot(index, cluster, files))) } });
        record.Success.Add(new RequestOp { RequestPut = new PutRequest { Key = ByteString.CopyFromUtf8(ClusterKey), Value = ByteString.CopyFromUtf8(cluster) } });
        record.Success.Add(new RequestOp { RequestDeleteRange = new DeleteRangeRequest { Key = ByteString.CopyFromUtf8(_journal.LogPrefix), RangeEnd = ByteString.CopyFromUtf8(_journal.LogKey(index + 1)) } });
        record.Success.Add(new RequestOp { RequestDeleteRange = new DeleteRangeRequest { Key = ByteString.CopyFromUtf8(_journal.Prefix + "parts/"), RangeEnd = ByteString.CopyFromUtf8(_journal.PartsPrefix(index + 1)) } });
        if (previous is not null && previous.Index != index)
        {
            record.Success.Add(new RequestOp { RequestDeleteRange = new DeleteRangeRequest { Key = ByteString.CopyFromUtf8(SnapshotPrefix(previous.Index)), RangeEnd = ByteString.CopyFromUtf8(PrefixEnd(SnapshotPrefix(previous.Index))) } });
        }

        await election.CommitAsync(record, ct);
        await File.WriteAllTextAsync(ClusterPath, cluster, ct);
        StateFiles.PrivateFileAt(ClusterPath);
        LogSnapshot(_log, index, files.Sum(f => f.Bytes));
        try
        {
            // The revision now (after the record): etcd drops every older revision of every key, so
            // the entries and snapshots just deleted leave its history too.
            var now = await GetAsync(new RangeRequest { Key = ByteString.CopyFromUtf8(SnapshotKey), KeysOnly = true }, ct);
            await Client.CompactAsync(new CompactionRequest { Revision = now.Header.Revision }, deadline: _journal.Deadline(), cancellationToken: ct);
        }
        catch (Grpc.Core.RpcException ex)
        {
            LogCompactFailed(_log, ex.Status.Detail);
        }
    }

    /// <summary>Replaces the local databases with the snapshot's; returns its index.</summary>
    private async Task<long> RestoreAsync(string cluster, CancellationToken ct)
    {
        var snapshot = await SnapshotAsync(ct) ?? throw new InvalidDataException("etcd names a cluster but holds no snapshot of its state");
        if (snapshot.Cluster != cluster)
        {
            throw new InvalidDataException($"the snapshot in etcd is of cluster {snapshot.Cluster}, not {cluster}");
        }

        CloseAll();
        _schemaReady = false;
        foreach (var file in snapshot.Files)
        {
            if (!Databases.Contains(file.Database))
            {
                throw new InvalidDataException($"the snapshot names an unknown database {file.Database}");
            }

            var bytes = await ReadPartsAsync(SnapshotPrefix(snapshot.Index) + file.Database + "/", file.Parts, ct);
            if (Convert.ToHexStringLower(SHA256.HashData(bytes)) != file.Sha256)
            {
                throw new InvalidDataException($"the snapshot of {file.Database} at entry {snapshot.Index} does not match its checksum");
            }

            var path = Path.Combine(_stateDir, file.Database);
            var temp = path + ".restore";
            await using (var output = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16, FileOptions.WriteThrough))
            await using (var gzip = new GZipStream(new MemoryStream(bytes), CompressionMode.Decompress))
            {
                await gzip.CopyToAsync(output, ct);
                await output.FlushAsync(ct);
            }

            StateFiles.PrivateFileAt(temp);
            File.Delete(path + "-wal");
            File.Delete(path + "-shm");
            File.Move(temp, path, overwrite: true);
        }

        await File.WriteAllTextAsync(ClusterPath, cluster, ct);
        StateFiles.PrivateFileAt(ClusterPath);
        LogRestored(_log, snapshot.Index, cluster);
        return snapshot.Index;
    }

    private byte[] Copy(string database, long index)
    {
        var temp = Path.Combine(_stateDir, database + ".snapshot");
        File.Delete(temp);
        try
        {
            using (var cmd = Connection(database).Command("VACUUM INTO $p", null, ("$p", temp)))
            {
                cmd.ExecuteNonQuery();
            }

            using (var copy = SqliteDb.OpenDurable(temp))
            {
                SqliteJournal.CreateTable(copy);
                copy.Exec($"INSERT INTO {SqliteJournal.Table}(id, applied) VALUES(1, {index.ToString(CultureInfo.InvariantCulture)}) ON CONFLICT(id) DO UPDATE SET applied = excluded.applied");
                copy.Exec("PRAGMA journal_mode=DELETE");
            }

            SqliteConnection.ClearAllPools();
            return File.ReadAllBytes(temp);
        }
        finally
        {
            File.Delete(temp);
            File.Delete(temp + "-wal");
            File.Delete(temp + "-shm");
        }
    }

    private static byte[] Compress(byte[] bytes)
    {
        using var buffer = new MemoryStream();
        using (var gzip = new GZipStream(buffer, CompressionLevel.Optimal, leaveOpen: true))
        {
            gzip.Write(bytes);
        }

        return buffer.ToArray();
    }

    private string ClusterPath => Path.Combine(_stateDir, ClusterFile);

    private SqliteConnection Connection(string database)
    {
        if (!_open.TryGetValue(database, out var db))
        {
            StateFiles.Folder(_stateDir);
            db = _open[database] = SqliteDb.OpenDurable(Path.Combine(_stateDir, database));
        }

        return db;
    }

    /// <summary>Closes the local connections (before the stores of a leader's term open, or a restore).</summary>
    public void CloseAll()
    {
        foreach (var db in _open.Values)
        {
            db.Dispose();
        }

        _open.Clear();
    }

    /// <summary>
    /// A read, tried again while an etcd member does not answer: the client moves to another
    /// member after a failed call, so a follower is not stuck on one that is down while quorum holds.
    /// </summary>
    private async Task<RangeResponse> GetAsync(RangeRequest request, CancellationToken ct)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await Client.GetAsync(request, deadline: _journal.Deadline(), cancellationToken: ct);
            }
            catch (Grpc.Core.RpcException ex) when (attempt < 5 && !ct.IsCancellationRequested && ex.StatusCode is Grpc.Core.StatusCode.Unavailable)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(100), ct);
            }
        }
    }

    private static long IndexOf(string key) => long.Parse(key.AsSpan(key.LastIndexOf('/') + 1), NumberStyles.None, CultureInfo.InvariantCulture);

    internal static string PrefixEnd(string prefix) => prefix[..^1] + (char)(prefix[^1] + 1);

    public void Dispose() => CloseAll();

    [LoggerMessage(Level = LogLevel.Information, Message = "Journal snapshot written at entry {Index} ({Bytes} bytes compressed); earlier entries removed from etcd")]
    private static partial void LogSnapshot(ILogger log, long index, long bytes);

    [LoggerMessage(Level = LogLevel.Warning, Message = "etcd did not compact its history: {Detail}")]
    private static partial void LogCompactFailed(ILogger log, string detail);

    [LoggerMessage(Level = LogLevel.Information, Message = "Local state restored from the snapshot at entry {Index} of cluster {Cluster}")]
    private static partial void LogRestored(ILogger log, long index, string cluster);
}
