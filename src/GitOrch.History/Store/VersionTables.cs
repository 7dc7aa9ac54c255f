using GitOrch.Core.Diagnostics;
using GitOrch.Storage;
using Microsoft.Data.Sqlite;

namespace GitOrch.History.Store;

/// <summary>
/// The tables behind <see cref="HistoryStore"/>'s versions: object keys, interned strings, version
/// chunks and each batch's list of the versions it wrote; and the migration from schema 1, which
/// kept every version as a full JSON row.
/// </summary>
internal static class VersionTables
{
    /// <summary>Moves schema 1's full version rows into chunks, in the caller's transaction.</summary>
    public static void ToDeltaChunks(SqliteConnection db, SqliteTransaction tx)
    {
        db.Exec("""
            CREATE TABLE strings(id INTEGER PRIMARY KEY, text TEXT NOT NULL UNIQUE);
            CREATE TABLE keys(id INTEGER PRIMARY KEY, kind TEXT NOT NULL, namespace TEXT NOT NULL, name TEXT NOT NULL, UNIQUE(kind, namespace, name));
            CREATE TABLE chunks(object INTEGER NOT NULL, chunk INTEGER NOT NULL, data BLOB NOT NULL, PRIMARY KEY(object, chunk)) WITHOUT ROWID;
            ALTER TABLE batches ADD COLUMN versions BLOB;
            """, tx);

        // Versions, object by object and oldest first, into chunks.
        using (var read = db.Command("SELECT kind, namespace, name, version, batch, fields, object FROM versions ORDER BY kind, namespace, name, version", tx))
        using (var reader = read.ExecuteReader())
        {
            ObjectRef? current = null;
            long key = 0;
            (long Number, VersionChunk Chunk)? open = null;
            while (reader.Read())
            {
                var obj = new ObjectRef(reader.GetString(0), reader.GetString(1), reader.GetString(2));
                var version = reader.GetInt32(3);
                if (obj != current)
                {
                    Flush(db, tx, key, open);
                    open = null;
                    current = obj;
                    key = KeyOf(db, tx, obj);
                }

                var number = VersionChunk.NumberOf(version);
                if (open is not { } o || o.Number != number)
                {
                    Flush(db, tx, key, open);
                    open = (number, VersionChunk.Empty());
                }

                open.Value.Chunk.Append(version, reader.GetInt64(4), Intern(db, tx, reader.GetString(5)), reader.IsDBNull(6) ? null : reader.GetString(6));
            }

            Flush(db, tx, key, open);
        }

        // Each batch's versions, in the order written.
        var lists = new Dictionary<long, List<(long, int)>>();
        using (var read = db.Command("SELECT batch, kind, namespace, name, version FROM versions ORDER BY batch, rowid", tx))
        using (var reader = read.ExecuteReader())
        {
            while (reader.Read())
            {
                var batch = reader.GetInt64(0);
                if (!lists.TryGetValue(batch, out var list))
                {
                    lists[batch] = list = [];
                }

                list.Add((KeyOf(db, tx, new ObjectRef(reader.GetString(1), reader.GetString(2), reader.GetString(3))), reader.GetInt32(4)));
            }
        }

        foreach (var (batch, list) in lists)
        {
            using var write = db.Command("UPDATE batches SET versions = $v WHERE id = $id", tx, ("$v", EncodeBatchVersions(list)), ("$id", batch));
            write.ExecuteNonQuery();
        }

        db.Exec("DROP TABLE versions; UPDATE meta SET value = '2' WHERE key = 'schema';", tx);
    }

    private static void Flush(SqliteConnection db, SqliteTransaction tx, long key, (long Number, VersionChunk Chunk)? open)
    {
        if (open is { } o)
        {
            WriteChunk(db, tx, key, o.Number, o.Chunk);
        }
    }

    /// <summary>The object's key id, created on first use.</summary>
    public static long KeyOf(SqliteConnection db, SqliteTransaction tx, ObjectRef obj)
    {
        if (FindKey(db, tx, obj) is { } id)
        {
            return id;
        }

        using var insert = db.Command("INSERT INTO keys(kind, namespace, name) VALUES($k, $n, $m) RETURNING id", tx, ("$k", obj.Kind), ("$n", obj.Namespace), ("$m", obj.Name));
        return (long)insert.ExecuteScalar()!;
    }

    public static long? FindKey(SqliteConnection db, SqliteTransaction? tx, ObjectRef obj)
    {
        using var find = db.Command("SELECT id FROM keys WHERE kind=$k AND namespace=$n AND name=$m", tx, ("$k", obj.Kind), ("$n", obj.Namespace), ("$m", obj.Name));
        return find.ExecuteScalar() as long?;
    }

    public static ObjectRef? RefOf(SqliteConnection db, long key)
    {
        using var find = db.Command("SELECT kind, namespace, name FROM keys WHERE id = $id", null, ("$id", key));
        using var reader = find.ExecuteReader();
        return reader.Read() ? new ObjectRef(reader.GetString(0), reader.GetString(1), reader.GetString(2)) : null;
    }

    /// <summary>The id of an interned string (a field list), created on first use.</summary>
    public static long Intern(SqliteConnection db, SqliteTransaction tx, string text)
    {
        using var find = db.Command("SELECT id FROM strings WHERE text = $t", tx, ("$t", text));
        if (find.ExecuteScalar() is long id)
        {
            return id;
        }

        using var insert = db.Command("INSERT INTO strings(text) VALUES($t) RETURNING id", tx, ("$t", text));
        return (long)insert.ExecuteScalar()!;
    }

    public static Dictionary<long, string> Strings(SqliteConnection db, IEnumerable<long> ids)
    {
        using var read = db.Command("SELECT id, text FROM strings WHERE id IN (SELECT value FROM json_each($ids))", null, ("$ids", System.Text.Json.JsonSerializer.Serialize(ids.Distinct())));
        using var reader = read.ExecuteReader();
        var result = new Dictionary<long, string>();
        while (reader.Read())
        {
            result[reader.GetInt64(0)] = reader.GetString(1);
        }

        return result;
    }

    public static Dictionary<long, (string Changer, string Kind, string? SourceCommit, string CreatedAt)> BatchMeta(SqliteConnection db, IEnumerable<long> ids)
    {
        using var read = db.Command("SELECT id, changer, change_kind, source_commit, created_at FROM batches WHERE id IN (SELECT value FROM json_each($ids))", null,
            ("$ids", System.Text.Json.JsonSerializer.Serialize(ids.Distinct())));
        using var reader = read.ExecuteReader();
        var result = new Dictionary<long, (string, string, string?, string)>();
        while (reader.Read())
        {
            result[reader.GetInt64(0)] = (reader.GetString(1), reader.GetString(2), reader.IsDBNull(3) ? null : reader.GetString(3), reader.GetString(4));
        }

        return result;
    }

    public static VersionChunk? ReadChunk(SqliteConnection db, SqliteTransaction? tx, long key, long number)
    {
        using var read = db.Command("SELECT data FROM chunks WHERE object = $o AND chunk = $c", tx, ("$o", key), ("$c", number));
        return read.ExecuteScalar() is byte[] data ? VersionChunk.Decode(data) : null;
    }

    private static void WriteChunk(SqliteConnection db, SqliteTransaction tx, long key, long number, VersionChunk chunk)
    {
        using var write = chunk.Entries.Count == 0
            ? db.Command("DELETE FROM chunks WHERE object = $o AND chunk = $c", tx, ("$o", key), ("$c", number))
            : db.Command("INSERT INTO chunks(object, chunk, data) VALUES($o, $c, $d) ON CONFLICT(object, chunk) DO UPDATE SET data = excluded.data", tx,
                ("$o", key), ("$c", number), ("$d", chunk.Encode()));
        write.ExecuteNonQuery();
    }

    /// <summary>Adds a version to its chunk (read, append, compress, write: one row).</summary>
    public static void AppendVersion(SqliteConnection db, SqliteTransaction tx, long key, int version, long batch, long fields, string? objectJson)
    {
        var number = VersionChunk.NumberOf(version);
        var chunk = ReadChunk(db, tx, key, number) ?? VersionChunk.Empty();
        chunk.Append(version, batch, fields, objectJson);
        WriteChunk(db, tx, key, number, chunk);
    }

    /// <summary>Drops all but the newest <paramref name="keep"/> versions of an object; returns how many went.</summary>
    public static int Prune(SqliteConnection db, SqliteTransaction tx, long key, int keep)
    {
        var chunks = new List<(long Number, VersionChunk Chunk)>();
        using (var read = db.Command("SELECT chunk, data FROM chunks WHERE object = $o ORDER BY chunk", tx, ("$o", key)))
        using (var reader = read.ExecuteReader())
        {
            while (reader.Read())
            {
                chunks.Add((reader.GetInt64(0), VersionChunk.Decode((byte[])reader[1])));
            }
        }

        if (chunks.Count == 0)
        {
            return 0;
        }

        var cutoff = chunks[^1].Chunk.Entries[^1].Version - keep;
        var removed = 0;
        foreach (var (number, chunk) in chunks.Where(c => c.Chunk.Entries[0].Version <= cutoff))
        {
            var kept = chunk.Where(e => e.Version > cutoff);
            removed += chunk.Entries.Count - kept.Entries.Count;
            WriteChunk(db, tx, key, number, kept);
        }

        return removed;
    }

    /// <summary>A batch's (object key, version) list: zigzag key deltas and versions as varints.</summary>
    public static byte[] EncodeBatchVersions(IReadOnlyList<(long Key, int Version)> versions)
    {
        var writer = new Varint.Writer(versions.Count * 3 + 4);
        writer.Write((ulong)versions.Count);
        long previous = 0;
        foreach (var (key, version) in versions)
        {
            var step = key - previous;
            writer.Write((ulong)((step << 1) ^ (step >> 63)));
            writer.Write((ulong)version);
            previous = key;
        }

        return VersionChunk.Compress(writer.Written);
    }

    public static List<(long Key, int Version)> DecodeBatchVersions(byte[] data)
    {
        var reader = new Varint.Reader(VersionChunk.Decompress(data));
        var count = checked((int)reader.ReadUInt64());
        var result = new List<(long, int)>(count);
        long previous = 0;
        for (var i = 0; i < count; i++)
        {
            var zigzag = reader.ReadUInt64();
            var key = previous + (long)((zigzag >> 1) ^ (0 - (zigzag & 1)));
            result.Add((key, checked((int)reader.ReadUInt64())));
            previous = key;
        }

        return result;
    }
}
