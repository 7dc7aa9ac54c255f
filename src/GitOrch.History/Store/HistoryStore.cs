using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using GitOrch.Core.Diagnostics;
using GitOrch.Core.State;
using GitOrch.Core.Manifests;
using GitOrch.Storage;
using Microsoft.Data.Sqlite;

namespace GitOrch.History.Store;

/// <summary>
/// The embedded state: commits seen, object versions with changers, current objects, and mirror
/// batches, in SQLite under the state folder. Every write is one transaction, committed with WAL
/// and synchronous=FULL before the call returns: what is acknowledged survives a crash.
/// Versions are kept cheaply (<see cref="VersionChunk"/>): per object, chunks of consecutive
/// versions, each a compressed snapshot plus deltas against it; changers and times live once on
/// the batch, field lists once in an interned string table.
/// </summary>
public sealed class HistoryStore : IDisposable
{
    public const string FileName = "state.db";
    private const int SchemaVersion = 3;

    private readonly SqliteConnection _db;
    private readonly WriteGate _gate = new();

    // Reads go through connections of their own: in WAL mode they see every committed write and
    // never wait behind a write in progress (a 10,000-object apply). There are a few, so that a
    // short read (status) does not wait behind a long one (a list of every object).
    private const int Readers = 4;
    private readonly ConcurrentBag<SqliteConnection> _idleReaders = [];
    private readonly Lock _readersGate = new();
    private readonly SemaphoreSlim _readerSlots = new(Readers, Readers);
    private bool _disposed;
    private readonly TimeProvider _time;
    private readonly List<WrittenObject> _written = [];
    private Action<IReadOnlyList<WrittenObject>>? _watchers;

    private HistoryStore(SqliteConnection db, string path, TimeProvider time)
    {
        _db = db;
        _time = time;
        // All opened here: a read never opens the file later (after the state folder was removed,
        // say), and a problem with it shows at open.
        for (var i = 0; i < Readers; i++)
        {
            _idleReaders.Add(OpenReader(path));
        }
    }

    /// <summary>A read-only connection to the store's file.</summary>
    private static SqliteConnection OpenReader(string path)
    {
        var read = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false, Mode = SqliteOpenMode.ReadWrite }.ToString());
        try
        {
            read.Open();
            read.Exec("PRAGMA query_only=1");
            return read;
        }
        catch
        {
            read.Dispose();
            throw;
        }
    }

    /// <summary>A read connection for one read (at most <see cref="Readers"/> at once; a caller waits for a free one).</summary>
    private ReadLease Read()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        _readerSlots.Wait();
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            // A slot held means a connection is idle: there are as many slots as connections.
            return _idleReaders.TryTake(out var idle) ? new ReadLease(this, idle) : throw new InvalidOperationException("no idle read connection while holding a read slot");
        }
        catch
        {
            _readerSlots.Release();
            throw;
        }
    }

    private readonly struct ReadLease(HistoryStore store, SqliteConnection connection) : IDisposable
    {
        public SqliteConnection Connection => connection;

        public void Dispose()
        {
            lock (store._readersGate)
            {
                if (store._disposed)
                {
                    connection.Dispose(); // The store closed while this read ran.
                }
                else
                {
                    store._idleReaders.Add(connection);
                }
            }

            store._readerSlots.Release();
        }
    }

    /// <summary>
    /// Opens (creating or migrating) the store in <paramref name="stateDir"/>. With a
    /// <paramref name="journal"/>, every write is journaled before it commits (a replica of a
    /// replicated control plane).
    /// </summary>
    public static HistoryStore Open(string stateDir, TimeProvider? time = null, GitOrch.Core.State.IStateJournal? journal = null)
    {
        StateFiles.Folder(stateDir);
        var path = StateFiles.Database(Path.Combine(stateDir, FileName));
        var db = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
        try
        {
            db.Open();
            db.Exec("PRAGMA journal_mode=WAL");
            db.Exec("PRAGMA synchronous=FULL");
            db.Exec("PRAGMA foreign_keys=ON");
            using (var check = db.CreateCommand())
            {
                check.CommandText = "PRAGMA quick_check";
                var verdict = check.ExecuteScalar() as string;
                if (verdict != "ok")
                {
                    throw new StateException(Corrupt(path, verdict ?? "no answer"));
                }
            }

            Migrate(db, path);
            if (journal is not null)
            {
                SqliteJournal.Attach(db, journal, FileName);
            }

            return new HistoryStore(db, path, time ?? TimeProvider.System);
        }
        catch (SqliteException ex)
        {
            db.Dispose();
            throw new StateException(Corrupt(path, ex.Message), ex);
        }
        catch
        {
            db.Dispose();
            throw;
        }
    }

    private static string Corrupt(string path, string why) =>
        $"the state database {path} cannot be read ({why}); restore it from a backup (see docs/operations.md), or move it aside to start empty (objects are re-applied from Git; earlier versions stay in refs/gitorch/history)";

    private static void Migrate(SqliteConnection db, string path)
    {
        db.Exec("CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL)");
        var current = Scalar(db, "SELECT value FROM meta WHERE key = 'schema'");
        var version = current is null ? 0 : int.Parse(current, CultureInfo.InvariantCulture);
        if (version > SchemaVersion)
        {
            throw new StateException($"the state database {path} was written by a newer gitorch (schema {version}, this one knows {SchemaVersion}); upgrade gitorch");
        }

        if (version < 1)
        {
            using var tx = db.BeginTransaction();
            db.Exec("""
                CREATE TABLE commits(
                  seq INTEGER PRIMARY KEY AUTOINCREMENT,
                  sha TEXT NOT NULL UNIQUE,
                  state TEXT NOT NULL,
                  author_name TEXT NOT NULL,
                  author_email TEXT NOT NULL,
                  subject TEXT NOT NULL,
                  committed_at TEXT NOT NULL,
                  processed_at TEXT NOT NULL,
                  diagnostics TEXT NOT NULL,
                  objects_changed INTEGER NOT NULL,
                  note TEXT);
                CREATE TABLE batches(
                  id INTEGER PRIMARY KEY AUTOINCREMENT,
                  changer TEXT NOT NULL,
                  change_kind TEXT NOT NULL,
                  source_commit TEXT,
                  message TEXT NOT NULL,
                  author_name TEXT NOT NULL,
                  author_email TEXT NOT NULL,
                  created_at TEXT NOT NULL);
                CREATE TABLE versions(
                  kind TEXT NOT NULL, namespace TEXT NOT NULL, name TEXT NOT NULL,
                  version INTEGER NOT NULL,
                  batch INTEGER NOT NULL REFERENCES batches(id),
                  changer TEXT NOT NULL,
                  change_kind TEXT NOT NULL,
                  source_commit TEXT,
                  created_at TEXT NOT NULL,
                  fields TEXT NOT NULL,
                  deleted INTEGER NOT NULL,
                  object TEXT,
                  PRIMARY KEY(kind, namespace, name, version));
                CREATE INDEX versions_batch ON versions(batch);
                CREATE TABLE objects(
                  kind TEXT NOT NULL, namespace TEXT NOT NULL, name TEXT NOT NULL,
                  version INTEGER NOT NULL,
                  deleted INTEGER NOT NULL,
                  file TEXT,
                  object TEXT NOT NULL,
                  last_changer TEXT NOT NULL,
                  updated_at TEXT NOT NULL,
                  PRIMARY KEY(kind, namespace, name));
                INSERT INTO meta(key, value) VALUES('schema', '1');
                """, tx);
            tx.CommitDurably();
        }

        if (version < 2)
        {
            using var tx = db.BeginTransaction();
            VersionTables.ToDeltaChunks(db, tx);
            tx.CommitDurably();
        }

        if (version < 3)
        {
            // The live objects by kind, for the counts of every status call: the count reads this
            // index alone, not every object's row (16 ms at 10,000 objects without it, 1.3 ms with).
            using var tx = db.BeginTransaction();
            db.Exec("CREATE INDEX objects_live ON objects(deleted, kind); UPDATE meta SET value = '3' WHERE key = 'schema';", tx);
            tx.CommitDurably();
        }
    }

    // ---- commits ------------------------------------------------------------------------------

    /// <summary>The last applied config commit (the cluster's current source of truth), or null.</summary>
    public string? LastApplied
    {
        get
        {
            using (var lease = Read())
            {
                return Scalar(lease.Connection, "SELECT sha FROM commits WHERE state = 'applied' ORDER BY seq DESC LIMIT 1");
            }
        }
    }

    public CommitRecord? FindCommit(string sha)
    {
        using (var lease = Read())
        {
            return ReadCommits(lease.Connection, "WHERE sha = $sha", 1, ("$sha", sha)).FirstOrDefault();
        }
    }

    /// <summary>The newest commits first.</summary>
    public IReadOnlyList<CommitRecord> Commits(int limit = 50)
    {
        using (var lease = Read())
        {
            return ReadCommits(lease.Connection, string.Empty, limit);
        }
    }

    /// <summary>Records a rejected commit. Nothing else changes: the cluster stays on the last good commit.</summary>
    internal void RecordRejected(CommitRecord commit)
    {
        using (_gate.Commit())
        {
            using var tx = _db.BeginTransaction();
            InsertCommit(commit, tx);
            tx.CommitDurably();
        }
    }

    /// <summary>
    /// Applies an external commit: its record, and (when anything changed) one batch with a new
    /// version of every changed object, all in one transaction. Returns the batch id (0 when nothing changed).
    /// </summary>
    internal long ApplyCommit(CommitRecord commit, ChangeBatch? batch, IReadOnlyList<(ObjectRef Object, string File)> moved)
    {
        using (_gate.Commit())
        {
            using var tx = _db.BeginTransaction();
            _written.Clear(); // What a failed transaction wrote was never committed: no watcher hears of it.
            InsertCommit(commit with { ObjectsChanged = batch?.Changes.Count ?? 0 }, tx);
            var id = batch is { Changes.Count: > 0 } ? WriteBatch(batch, tx) : 0;
            foreach (var (obj, file) in moved)
            {
                using var cmd = _db.Command("UPDATE objects SET file = $f WHERE kind=$k AND namespace=$n AND name=$m", tx,
                    ("$f", file), ("$k", obj.Kind), ("$n", obj.Namespace), ("$m", obj.Name));
                cmd.ExecuteNonQuery();
            }

            tx.CommitDurably();
            Committed();
            return id;
        }
    }

    /// <summary>
    /// Writes a mechanical batch (whole objects created or deleted) in one transaction, if
    /// <paramref name="admit"/> finds nothing to refuse in any of its changes (given each object's
    /// current JSON and file); returns its id, or 0 with the refusals.
    /// </summary>
    internal long Write(ChangeBatch batch, Func<ObjectChange, string?, string?, IReadOnlyList<Diagnostic>> admit, out IReadOnlyList<Diagnostic> refused)
    {
        using (_gate.Background())
        {
            using var tx = _db.BeginTransaction();
            _written.Clear(); // What a failed transaction wrote was never committed: no watcher hears of it.
            var all = new List<Diagnostic>();
            foreach (var change in batch.Changes)
            {
                var (json, file) = ReadCurrent(change.Ref, tx);
                all.AddRange(admit(change, json, file));
            }

            refused = all;
            if (all.Count > 0)
            {
                return 0; // Disposing the transaction rolls it back: nothing changes.
            }

            var id = WriteBatch(batch, tx);
            tx.CommitDurably();
            Committed();
            return id;
        }
    }

    /// <summary>The raw write with no admission: for this assembly's own tests only.</summary>
    internal long ApplyCommit(CommitRecord commit, ChangeBatch? batch) => ApplyCommit(commit, batch, []);

    /// <summary>The raw write with no admission: for this assembly's own tests only.</summary>
    internal long Write(ChangeBatch batch) => Write(batch, (_, _, _) => [], out _);

    private (string? Json, string? File) ReadCurrent(ObjectRef obj, SqliteTransaction tx)
    {
        using var read = _db.Command("SELECT object, file FROM objects WHERE kind=$k AND namespace=$n AND name=$m AND deleted = 0", tx,
            ("$k", obj.Kind), ("$n", obj.Namespace), ("$m", obj.Name));
        using var reader = read.ExecuteReader();
        return reader.Read() ? (reader.GetString(0), reader.IsDBNull(1) ? null : reader.GetString(1)) : (null, null);
    }

    private long WriteBatch(ChangeBatch batch, SqliteTransaction tx)
    {
        var now = Format(_time.GetUtcNow());
        using var insertBatch = _db.Command("""
            INSERT INTO batches(changer, change_kind, source_commit, message, author_name, author_email, created_at)
            VALUES($changer, $kind, $source, $message, $an, $ae, $at) RETURNING id
            """, tx, ("$changer", batch.Changer), ("$kind", batch.Kind.ToText()), ("$source", batch.SourceCommit),
            ("$message", batch.Message), ("$an", batch.AuthorName), ("$ae", batch.AuthorEmail), ("$at", now));
        var id = (long)insertBatch.ExecuteScalar()!;

        var written = new List<(long Key, int Version)>(batch.Changes.Count);
        foreach (var change in batch.Changes)
        {
            var (kind, ns, name) = (change.Ref.Kind, change.Ref.Namespace, change.Ref.Name);
            using var current = _db.Command("SELECT version, object, file FROM objects WHERE kind=$k AND namespace=$n AND name=$m", tx, ("$k", kind), ("$n", ns), ("$m", name));
            int version;
            string? previousObject = null;
            string? previousFile = null;
            using (var reader = current.ExecuteReader())
            {
                version = reader.Read() ? reader.GetInt32(0) + 1 : 1;
                if (version > 1)
                {
                    previousObject = reader.GetString(1);
                    previousFile = reader.IsDBNull(2) ? null : reader.GetString(2);
                }
            }

            var deleted = change.ObjectJson is null;
            var objectJson = change.ObjectJson;
            if (batch.Kind == ChangeKind.External && objectJson is not null && previousObject is not null)
            {
                // Git never writes status: keep the current one, read inside this transaction so
                // that a loop's concurrent status write is never lost.
                objectJson = KeepStatus(objectJson, previousObject);
            }

            var key = VersionTables.KeyOf(_db, tx, change.Ref);
            VersionTables.AppendVersion(_db, tx, key, version, id, VersionTables.Intern(_db, tx, JsonSerializer.Serialize(change.Fields)), objectJson);
            written.Add((key, version));

            using var upsert = _db.Command("""
                INSERT INTO objects(kind, namespace, name, version, deleted, file, object, last_changer, updated_at)
                VALUES($k, $n, $m, $v, $d, $file, $o, $c, $at)
                ON CONFLICT(kind, namespace, name) DO UPDATE SET
                  version=excluded.version, deleted=excluded.deleted, file=excluded.file, object=excluded.object,
                  last_changer=excluded.last_changer, updated_at=excluded.updated_at
                """, tx, ("$k", kind), ("$n", ns), ("$m", name), ("$v", version), ("$d", deleted ? 1 : 0),
                ("$file", change.File ?? previousFile), ("$o", objectJson ?? previousObject ?? "{}"), ("$c", batch.Changer), ("$at", now));
            upsert.ExecuteNonQuery();
            _written.Add(new WrittenObject(change.Ref, deleted ? null : objectJson, batch.Changer));
        }

        using (var list = _db.Command("UPDATE batches SET versions = $v WHERE id = $id", tx, ("$v", VersionTables.EncodeBatchVersions(written)), ("$id", id)))
        {
            list.ExecuteNonQuery();
        }

        return id;
    }

    /// <summary>
    /// A control loop's change, read-modify-write in one transaction: <paramref name="mutate"/> gets
    /// the current object and changes it in place, returning the fields it changed. Nothing is
    /// written (and 0 returned) when the object is gone or no field changed; otherwise the batch id.
    /// </summary>
    internal long Update(
        ObjectRef obj, string loop, string? sourceCommit, string message, Func<JsonObject, IReadOnlyList<string>> mutate,
        Func<JsonObject, JsonObject, string?, IReadOnlyList<Diagnostic>> admit, out IReadOnlyList<Diagnostic> refused)
    {
        refused = [];
        using (_gate.Background())
        {
            using var tx = _db.BeginTransaction();
            _written.Clear(); // What a failed transaction wrote was never committed: no watcher hears of it.
            var (json, file) = ReadCurrent(obj, tx);
            if (json is null)
            {
                return 0;
            }

            var before = GitOrch.Core.Manifests.ManifestJson.Parse(json);
            var current = (JsonObject)before.DeepClone();
            var fields = mutate(current);
            if (fields.Count == 0 || JsonNode.DeepEquals(before, current))
            {
                return 0; // Nothing changed: no version (a loop that reports the same state again writes nothing).
            }

            refused = admit(before, current, file);
            if (refused.Count > 0)
            {
                return 0; // Nothing changes: the transaction rolls back.
            }

            var id = WriteBatch(new ChangeBatch(Changers.Loop(loop), ChangeKind.Mechanical, sourceCommit, message, loop, $"{loop}@control-loop.gitorch",
                [new ObjectChange(obj, current.Write(), fields, null)]), tx);
            tx.CommitDurably();
            Committed();
            return id;
        }
    }

    private static string KeepStatus(string next, string previous)
    {
        var result = GitOrch.Core.Manifests.ManifestJson.Parse(next);
        if (!GitOrch.Core.Manifests.ManifestJson.Parse(previous).TryGetPropertyValue("status", out var status) || result.ContainsKey("status"))
        {
            return next;
        }

        result["status"] = status?.DeepClone(); // A node has one parent.
        return result.Write();
    }

    /// <summary>
    /// The live objects of <paramref name="kind"/> now, and from then on every committed write of an
    /// object (any kind) to <paramref name="onCommit"/>, in commit order, with nothing missed or seen
    /// twice between the two. <paramref name="onCommit"/> runs under the store's lock: it must be
    /// quick and must not call the store.
    /// </summary>
    public IReadOnlyList<StoredObject> ListAndWatch(string kind, Action<IReadOnlyList<WrittenObject>> onCommit)
    {
        using (_gate.Background())
        {
            _watchers += onCommit;
            return ReadObjects(_db, "WHERE deleted = 0 AND kind = $k", ("$k", kind));
        }
    }

    /// <summary>Stops the calls that <see cref="ListAndWatch"/> started.</summary>
    public void Unwatch(Action<IReadOnlyList<WrittenObject>> onCommit)
    {
        using (_gate.Background())
        {
            _watchers -= onCommit;
        }
    }

    /// <summary>Tells the watchers what the transaction just committed wrote (called under the lock, after the commit).</summary>
    private void Committed()
    {
        if (_written.Count > 0 && _watchers is { } watchers)
        {
            watchers([.. _written]);
        }

        _written.Clear();
    }

    // ---- objects and versions ---------------------------------------------------------------

    public StoredObject? Get(ObjectRef obj) => GetMany([obj]).GetValueOrDefault(obj);

    /// <summary>
    /// The stored objects (deleted ones too) among <paramref name="objects"/>, by ref, read in one
    /// read with one compiled statement: the objects of a commit's changed files, or of a whole tree.
    /// </summary>
    public Dictionary<ObjectRef, StoredObject> GetMany(IEnumerable<ObjectRef> objects)
    {
        var found = new Dictionary<ObjectRef, StoredObject>();
        using (var lease = Read())
        {
            using var cmd = lease.Connection.Prepare(
                "SELECT kind, namespace, name, version, deleted, file, object, last_changer, updated_at FROM objects WHERE kind=$k AND namespace=$n AND name=$m",
                null, "$k", "$n", "$m");
            foreach (var obj in objects)
            {
                cmd.Bind(obj.Kind, obj.Namespace, obj.Name);
                using var reader = cmd.ExecuteReader();
                if (reader.Read())
                {
                    found[obj] = ReadObject(reader);
                }
            }
        }

        return found;
    }

    /// <summary>Live objects (not deleted), optionally of one kind and namespace, ordered by kind, namespace, name.</summary>
    public IReadOnlyList<StoredObject> List(string? kind = null, string? ns = null, bool includeDeleted = false)
    {
        var where = new List<string>();
        var args = new List<(string, object?)>();
        if (!includeDeleted)
        {
            where.Add("deleted = 0");
        }

        if (kind is not null)
        {
            where.Add("kind = $k");
            args.Add(("$k", kind));
        }

        if (ns is not null)
        {
            where.Add("namespace = $n");
            args.Add(("$n", ns));
        }

        using (var lease = Read())
        {
            return ReadObjects(lease.Connection, where.Count == 0 ? string.Empty : "WHERE " + string.Join(" AND ", where), [.. args]);
        }
    }

    /// <summary>How many live objects of each kind: one query over the <c>objects_live</c> index; no object's row is read.</summary>
    internal const string CountByKindSql = "SELECT kind, COUNT(*) FROM objects WHERE deleted = 0 GROUP BY kind ORDER BY kind";

    public IReadOnlyDictionary<string, int> CountByKind()
    {
        using (var lease = Read())
        {
            using var cmd = lease.Connection.Command(CountByKindSql, null);
            using var reader = cmd.ExecuteReader();
            var counts = new Dictionary<string, int>(StringComparer.Ordinal);
            while (reader.Read())
            {
                counts[reader.GetString(0)] = reader.GetInt32(1);
            }

            return counts;
        }
    }

    /// <summary>Versions of one object, oldest first, optionally only (or all but) one changer.</summary>
    public IReadOnlyList<VersionRecord> History(ObjectRef obj, string? changer = null, string? excludeChanger = null)
    {
        using (var lease = Read())
        {
            if (VersionTables.FindKey(lease.Connection, null, obj) is not { } key)
            {
                return [];
            }

            using var cmd = lease.Connection.Command("SELECT data FROM chunks WHERE object = $o ORDER BY chunk", null, ("$o", key));
            var entries = new List<(VersionChunk, VersionChunk.Entry)>();
            using (var reader = cmd.ExecuteReader())
            {
                while (reader.Read())
                {
                    var chunk = VersionChunk.Decode((byte[])reader[0]);
                    entries.AddRange(chunk.Entries.Select(e => (chunk, e)));
                }
            }

            return [.. ToRecords(lease.Connection, obj, entries, withObject: false)
                .Where(v => (changer is null || v.Changer == changer) && (excludeChanger is null || v.Changer != excludeChanger))];
        }
    }

    public VersionRecord? Version(ObjectRef obj, int version)
    {
        using (var lease = Read())
        {
            if (VersionTables.FindKey(lease.Connection, null, obj) is not { } key || VersionTables.ReadChunk(lease.Connection, null, key, VersionChunk.NumberOf(version)) is not { } chunk
                || chunk.Entries.FirstOrDefault(e => e.Version == version) is not { } entry)
            {
                return null;
            }

            return ToRecords(lease.Connection, obj, [(chunk, entry)], withObject: true).FirstOrDefault();
        }
    }

    /// <summary>Drops versions beyond the newest <paramref name="keep"/> of one object (the current one is always kept).</summary>
    public int Prune(ObjectRef obj, int keep)
    {
        using (_gate.Background())
        {
            using var tx = _db.BeginTransaction();
            var n = VersionTables.FindKey(_db, tx, obj) is { } key ? VersionTables.Prune(_db, tx, key, Math.Max(1, keep)) : 0;
            tx.CommitDurably();
            return n;
        }
    }

    /// <summary>Version records for chunk entries: batch metadata and field lists looked up once per call.</summary>
    private static List<VersionRecord> ToRecords(SqliteConnection db, ObjectRef obj, IReadOnlyList<(VersionChunk Chunk, VersionChunk.Entry Entry)> entries, bool withObject)
    {
        var batches = VersionTables.BatchMeta(db, entries.Select(e => e.Entry.Batch));
        var fields = VersionTables.Strings(db, entries.Select(e => e.Entry.Fields));
        return [.. entries.Where(e => batches.ContainsKey(e.Entry.Batch)).Select(e =>
        {
            var b = batches[e.Entry.Batch];
            return new VersionRecord(obj, e.Entry.Version, e.Entry.Batch, b.Changer, Changers.Parse(b.Kind), b.SourceCommit, Parse(b.CreatedAt),
                JsonSerializer.Deserialize<List<string>>(fields[e.Entry.Fields]) ?? [], e.Entry.Deleted, withObject ? e.Chunk.ObjectOf(e.Entry) : null);
        })];
    }

    // ---- mirror -----------------------------------------------------------------------------

    /// <summary>Batches with an id above <paramref name="after"/>, oldest first.</summary>
    public IReadOnlyList<BatchRecord> BatchesAfter(long after, int limit = 1000)
    {
        using (var lease = Read())
        {
            using var cmd = lease.Connection.Command("SELECT id, changer, change_kind, source_commit, message, author_name, author_email, created_at FROM batches WHERE id > $a ORDER BY id LIMIT $l", null, ("$a", after), ("$l", limit));
            using var reader = cmd.ExecuteReader();
            var list = new List<BatchRecord>();
            while (reader.Read())
            {
                list.Add(new BatchRecord(reader.GetInt64(0), reader.GetString(1), Changers.Parse(reader.GetString(2)), reader.IsDBNull(3) ? null : reader.GetString(3),
                    reader.GetString(4), reader.GetString(5), reader.GetString(6), Parse(reader.GetString(7))));
            }

            return list;
        }
    }

    /// <summary>The versions a batch wrote (with their objects unless told), in the order written. Pruned versions are absent.</summary>
    public IReadOnlyList<VersionRecord> VersionsOfBatch(long batch, bool withObjects = true) => [.. BatchVersions(batch, withObjects, int.MaxValue)];

    /// <summary>How many versions a stream reads at a time.</summary>
    public const int StreamPage = 200;

    /// <summary>
    /// The versions a batch wrote, with their objects, read <see cref="StreamPage"/> at a time as
    /// the enumeration goes on: the mirror renders and writes each page before the next is read, so
    /// a first apply's 10,000 objects are never in memory at once. A read connection is held only
    /// while a page is read, never while the caller works on it.
    /// </summary>
    public IEnumerable<VersionRecord> StreamVersionsOfBatch(long batch) => BatchVersions(batch, withObjects: true, StreamPage);

    private IEnumerable<VersionRecord> BatchVersions(long batch, bool withObjects, int page)
    {
        List<(long Key, int Version)> listed;
        using (var lease = Read())
        {
            using var cmd = lease.Connection.Command("SELECT versions FROM batches WHERE id = $b", null, ("$b", batch));
            if (cmd.ExecuteScalar() is not byte[] list)
            {
                yield break;
            }

            listed = [.. VersionTables.DecodeBatchVersions(list)];
        }

        for (var from = 0; from < listed.Count; from += page)
        {
            foreach (var record in ReadBatchPage(listed.Skip(from).Take(page), withObjects))
            {
                yield return record;
            }
        }
    }

    /// <summary>One page of a batch's versions. A batch lists each object's versions together: one chunk at a time is kept.</summary>
    private List<VersionRecord> ReadBatchPage(IEnumerable<(long Key, int Version)> versions, bool withObjects)
    {
        using var lease = Read();
        var records = new List<VersionRecord>();
        (long Key, long Number)? at = null;
        VersionChunk? chunk = null;
        foreach (var (key, version) in versions)
        {
            var number = VersionChunk.NumberOf(version);
            if (at != (key, number))
            {
                chunk = VersionTables.ReadChunk(lease.Connection, null, key, number);
                at = (key, number);
            }

            if (chunk?.Entries.FirstOrDefault(e => e.Version == version) is { } entry && VersionTables.RefOf(lease.Connection, key) is { } obj)
            {
                records.AddRange(ToRecords(lease.Connection, obj, [(chunk, entry)], withObjects));
            }
        }

        return records;
    }

    /// <summary>
    /// Makes later batch ids larger than <paramref name="above"/>: a store started empty (after a
    /// disaster) never reuses an id the mirror already holds, so the mirror neither skips nor repeats.
    /// </summary>
    internal void ReserveBatchIds(long above)
    {
        using (_gate.Background())
        {
            using var tx = _db.BeginTransaction();
            using var read = _db.Command("SELECT seq FROM sqlite_sequence WHERE name = 'batches'", tx);
            var current = read.ExecuteScalar() is long seq ? seq : 0;
            if (current < above)
            {
                using var write = current == 0 && read.ExecuteScalar() is null
                    ? _db.Command("INSERT INTO sqlite_sequence(name, seq) VALUES('batches', $s)", tx, ("$s", above))
                    : _db.Command("UPDATE sqlite_sequence SET seq = $s WHERE name = 'batches'", tx, ("$s", above));
                write.ExecuteNonQuery();
            }

            tx.CommitDurably();
        }
    }

    public string? GetMeta(string key)
    {
        using (var lease = Read())
        {
            using var cmd = lease.Connection.Command("SELECT value FROM meta WHERE key = $k", null, ("$k", key));
            return cmd.ExecuteScalar() as string;
        }
    }

    public void SetMeta(string key, string value)
    {
        using (_gate.Background())
        {
            using var tx = _db.BeginTransaction();
            using var cmd = _db.Command("INSERT INTO meta(key, value) VALUES($k, $v) ON CONFLICT(key) DO UPDATE SET value = excluded.value", tx, ("$k", key), ("$v", value));
            cmd.ExecuteNonQuery();
            tx.CommitDurably();
        }
    }

    // ---- plumbing ---------------------------------------------------------------------------

    private void InsertCommit(CommitRecord c, SqliteTransaction tx)
    {
        // A commit seen again (history rewound to it by a force-push) becomes the newest record.
        using (var forget = _db.Command("DELETE FROM commits WHERE sha = $sha", tx, ("$sha", c.Sha)))
        {
            forget.ExecuteNonQuery();
        }

        using var cmd = _db.Command("""
            INSERT INTO commits(sha, state, author_name, author_email, subject, committed_at, processed_at, diagnostics, objects_changed, note)
            VALUES($sha, $state, $an, $ae, $subject, $ca, $pa, $diag, $n, $note)
            ON CONFLICT(sha) DO UPDATE SET state=excluded.state, processed_at=excluded.processed_at,
              diagnostics=excluded.diagnostics, objects_changed=excluded.objects_changed, note=excluded.note
            """, tx, ("$sha", c.Sha), ("$state", c.State), ("$an", c.AuthorName), ("$ae", c.AuthorEmail), ("$subject", c.Subject),
            ("$ca", Format(c.CommittedAt)), ("$pa", Format(c.ProcessedAt)), ("$diag", JsonSerializer.Serialize(c.Diagnostics)),
            ("$n", c.ObjectsChanged), ("$note", c.Note));
        cmd.ExecuteNonQuery();
    }

    private static List<CommitRecord> ReadCommits(SqliteConnection db, string where, int limit, params (string, object?)[] args)
    {
        using var cmd = db.Command($"SELECT sha, state, author_name, author_email, subject, committed_at, processed_at, diagnostics, objects_changed, note FROM commits {where} ORDER BY seq DESC LIMIT {limit}", null, args);
        using var reader = cmd.ExecuteReader();
        var list = new List<CommitRecord>();
        while (reader.Read())
        {
            list.Add(new CommitRecord(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetString(4),
                Parse(reader.GetString(5)), Parse(reader.GetString(6)), JsonSerializer.Deserialize<List<Diagnostic>>(reader.GetString(7)) ?? [],
                reader.GetInt32(8), reader.IsDBNull(9) ? null : reader.GetString(9)));
        }

        return list;
    }

    private static List<StoredObject> ReadObjects(SqliteConnection db, string where, params (string, object?)[] args)
    {
        using var cmd = db.Command($"SELECT kind, namespace, name, version, deleted, file, object, last_changer, updated_at FROM objects {where} ORDER BY kind, namespace, name", null, args);
        using var reader = cmd.ExecuteReader();
        var list = new List<StoredObject>();
        while (reader.Read())
        {
            list.Add(ReadObject(reader));
        }

        return list;
    }

    /// <summary>One row of <c>objects</c>, selected as kind, namespace, name, version, deleted, file, object, last_changer, updated_at.</summary>
    private static StoredObject ReadObject(SqliteDataReader reader) =>
        new(new ObjectRef(reader.GetString(0), reader.GetString(1), reader.GetString(2)), reader.GetInt32(3), reader.GetInt32(4) != 0,
            reader.IsDBNull(5) ? null : reader.GetString(5), reader.GetString(6), reader.GetString(7), Parse(reader.GetString(8)));

    private static string? Scalar(SqliteConnection db, string sql)
    {
        using var cmd = db.CreateCommand();
        cmd.CommandText = sql;
        return cmd.ExecuteScalar() as string;
    }

    private static string Format(DateTimeOffset t) => t.UtcDateTime.ToString("O", CultureInfo.InvariantCulture);

    private static DateTimeOffset Parse(string s) => DateTimeOffset.Parse(s, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind);

    /// <summary>The gate of the state file's writers: the workflow store shares it.</summary>
    public WriteGate Gate => _gate;

    /// <summary>Closes the database after any write in flight (a stopping host never cuts a transaction in half).</summary>
    public void Dispose()
    {
        using (_gate.Background())
        {
            _db.Dispose();
        }

        lock (_readersGate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true; // New reads are refused from here on.
        }

        // Reads in progress finish first (each holds a slot); one still running after the wait
        // closes its own connection when it ends.
        var held = 0;
        for (var i = 0; i < Readers && _readerSlots.Wait(TimeSpan.FromSeconds(10)); i++)
        {
            held++;
        }

        lock (_readersGate)
        {
            while (_idleReaders.TryTake(out var idle))
            {
                idle.Dispose();
            }
        }

        if (held > 0)
        {
            _readerSlots.Release(held); // A read that waited for a slot wakes and is refused.
        }
    }
}
