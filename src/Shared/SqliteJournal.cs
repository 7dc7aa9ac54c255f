using System.Runtime.CompilerServices;
using GitOrch.Core.State;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace GitOrch.Storage;

/// <summary>
/// Ties a store's SQLite connection to the control plane's journal (<see cref="IStateJournal"/>):
/// SQLite reports each statement as it runs with its parameters bound (the legacy trace), the
/// writes of a transaction are collected, and SQLite's commit hook hands them to the journal
/// before the commit completes; a write the journal refuses rolls the transaction back. A replica
/// applies the same statements in the same order to its own copy (<see cref="Apply"/>), so every
/// copy holds the same rows. Every journaled transaction records its entry's index in
/// <c>replica_journal</c>, so a copy knows how far it is. A write outside
/// <see cref="SqliteDb.CommitDurably"/> is refused: nothing reaches a journaled database unrecorded.
/// Compiled into each store's assembly as an internal type.
/// </summary>
internal sealed class SqliteJournal
{
    public const string Table = "replica_journal";

    private static readonly ConditionalWeakTable<SqliteConnection, SqliteJournal> Links = new();

    private readonly IStateJournal _journal;
    private readonly string _database;
    private readonly List<string> _pending = [];
    private readonly delegate_trace _trace;
    private readonly delegate_commit _commit;
    private readonly delegate_rollback _rollback;
    private IJournalWrite? _write;
    private string? _refused;

    private SqliteJournal(IStateJournal journal, string database)
    {
        _journal = journal;
        _database = database;
        _trace = (_, sql) => OnStatement(sql.utf8_to_string());
        _commit = _ => OnCommit();
        _rollback = _ => _pending.Clear();
    }

    /// <summary>Creates the index table (before any journaled write).</summary>
    public static void CreateTable(SqliteConnection db) =>
        db.Exec($"CREATE TABLE IF NOT EXISTS {Table}(id INTEGER PRIMARY KEY CHECK (id = 1), applied INTEGER NOT NULL)");

    /// <summary>Journals every later write of <paramref name="db"/> as entries of <paramref name="database"/> (a file name in the state folder).</summary>
    public static void Attach(SqliteConnection db, IStateJournal journal, string database)
    {
        CreateTable(db);
        var link = new SqliteJournal(journal, database);
        Links.AddOrUpdate(db, link);
        raw.sqlite3_trace(db.Handle, link._trace, null);
        raw.sqlite3_commit_hook(db.Handle, link._commit, null);
        raw.sqlite3_rollback_hook(db.Handle, link._rollback, null);
    }

    /// <summary>The index of the last entry this copy of a database has applied (0 when none).</summary>
    public static long Applied(SqliteConnection db, SqliteTransaction? tx = null)
    {
        using (var exists = db.Command($"SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '{Table}'", tx))
        {
            if (exists.ExecuteScalar() is null)
            {
                return 0;
            }
        }

        using var cmd = db.Command($"SELECT applied FROM {Table} WHERE id = 1", tx);
        return cmd.ExecuteScalar() is long applied ? applied : 0;
    }

    /// <summary>
    /// Applies one entry written by the leader to this copy, in one transaction, unless this copy
    /// has it already. Returns false when it had it.
    /// </summary>
    public static bool Apply(SqliteConnection db, long index, IReadOnlyList<string> statements)
    {
        raw.sqlite3_limit(db.Handle, raw.SQLITE_LIMIT_ATTACHED, 0); // No entry can attach another file.
        CreateTable(db);
        using var tx = db.BeginTransaction();
        if (Applied(db, tx) >= index)
        {
            return false;
        }

        foreach (var sql in statements)
        {
            if (!IsApplicable(sql))
            {
                throw new InvalidDataException($"entry {index} of the journal holds a statement that is not a row or schema change ({sql[..Math.Min(40, sql.Length)]}...); this copy does not apply it");
            }

            using var cmd = db.Command(sql, tx);
            cmd.ExecuteNonQuery();
        }

        using (var mark = Mark(db, tx, index))
        {
            mark.ExecuteNonQuery();
        }

        tx.Commit();
        return true;
    }

    /// <summary>Commits <paramref name="tx"/> through the journal when its connection has one; plainly otherwise.</summary>
    public static void Commit(SqliteTransaction tx)
    {
        var db = tx.Connection ?? throw new InvalidOperationException("the transaction has no connection");
        if (!Links.TryGetValue(db, out var link))
        {
            tx.Commit();
            return;
        }

        using var write = link._journal.BeginWrite();
        using (var mark = Mark(db, tx, write.Index))
        {
            mark.ExecuteNonQuery();
        }

        link._write = write;
        try
        {
            tx.Commit();
        }
        catch (SqliteException ex) when (write.Failure is { } refused)
        {
            throw new JournalRefusedException(refused.Message, refused.LeaderApiUrl, ex);
        }
        catch (SqliteException ex) when (link._refused is { } why)
        {
            throw new JournalRefusedException(why, null, ex);
        }
        finally
        {
            link._write = null;
            link._refused = null;
            link._pending.Clear();
        }

        write.Complete();
    }

    private static SqliteCommand Mark(SqliteConnection db, SqliteTransaction tx, long index) =>
        db.Command($"INSERT INTO {Table}(id, applied) VALUES(1, $i) ON CONFLICT(id) DO UPDATE SET applied = excluded.applied", tx, ("$i", index));

    private void OnStatement(string sql)
    {
        // Everything but a read, transaction control or a trigger's note is kept: a statement this
        // does not recognise is journaled rather than let through unrecorded.
        if (!IsRead(sql))
        {
            _pending.Add(sql);
        }
    }

    private int OnCommit()
    {
        if (_pending.Count == 0)
        {
            return 0;
        }

        if (_write is null)
        {
            _refused = $"a write to {_database} outside a journaled transaction ({_pending[0][..Math.Min(60, _pending[0].Length)]}...) was refused";
            _pending.Clear();
            return 1;
        }

        var ok = _write.Append(_database, [.. _pending]);
        _pending.Clear();
        return ok ? 0 : 1; // Non-zero turns the commit into a rollback.
    }

    /// <summary>What the legacy trace reports that is not journaled: reads, transaction control, and a trigger's note (<c>-- TRIGGER name</c>).</summary>
    internal static bool IsRead(string sql)
    {
        if (sql.AsSpan().TrimStart().StartsWith("--", StringComparison.Ordinal))
        {
            return true; // The trace's note for a trigger program (the statement that fired it is journaled).
        }

        return Keyword(sql) is "SELECT" or "BEGIN" or "COMMIT" or "END" or "ROLLBACK" or "SAVEPOINT" or "RELEASE" or "PRAGMA" or "EXPLAIN";
    }

    /// <summary>
    /// Whether a journaled statement may be applied to a copy: row changes and schema statements
    /// only. ATTACH, VACUUM, PRAGMA and the rest are refused (they could reach outside the database).
    /// </summary>
    internal static bool IsApplicable(string sql) =>
        Keyword(sql) is "INSERT" or "UPDATE" or "DELETE" or "REPLACE" or "WITH" or "CREATE" or "DROP" or "ALTER";

    /// <summary>The statement's first keyword, upper-case, after whitespace and comments.</summary>
    internal static string Keyword(string sql)
    {
        var text = sql.AsSpan();
        while (true)
        {
            text = text.TrimStart();
            if (text.StartsWith("/*", StringComparison.Ordinal))
            {
                var end = text.IndexOf("*/", StringComparison.Ordinal);
                text = end < 0 ? [] : text[(end + 2)..];
            }
            else if (text.StartsWith("--", StringComparison.Ordinal))
            {
                var end = text.IndexOf('\n');
                text = end < 0 ? [] : text[(end + 1)..];
            }
            else
            {
                break;
            }
        }

        var length = 0;
        while (length < text.Length && char.IsAsciiLetter(text[length]))
        {
            length++;
        }

        return text[..length].ToString().ToUpperInvariant();
    }
}
