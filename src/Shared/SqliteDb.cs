using Microsoft.Data.Sqlite;

namespace GitOrch.Storage;

/// <summary>
/// The SQLite plumbing the state stores share (history, workflows, agent assignments): parameterised
/// commands and durable connections. Compiled into each store's assembly as an internal type.
/// </summary>
internal static class SqliteDb
{
    /// <summary>
    /// Opens a connection whose commits are durable before they return (WAL, synchronous=FULL) and
    /// that waits for a busy database rather than failing at once.
    /// </summary>
    public static SqliteConnection OpenDurable(string path)
    {
        StateFiles.Database(path); // 0600 before SQLite creates it; its -wal and -shm take the same mode
        var db = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false, DefaultTimeout = 30 }.ToString());
        try
        {
            db.Open();
            db.Exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA busy_timeout=10000;");
            return db;
        }
        catch
        {
            db.Dispose();
            throw;
        }
    }

    public static SqliteCommand Command(this SqliteConnection db, string sql, SqliteTransaction? tx, params (string Name, object? Value)[] args)
    {
        var cmd = db.CreateCommand();
        cmd.CommandText = sql;
        cmd.Transaction = tx;
        foreach (var (name, value) in args)
        {
            cmd.Parameters.AddWithValue(name, value switch
            {
                null => DBNull.Value,

                // A replicated store replays statements as SQLite prints them, which ends text at
                // a NUL and rounds REALs: text keeps no NUL (the replacement character stands for
                // it, on every replica alike), and no store binds a REAL.
                string text when text.Contains('\0', StringComparison.Ordinal) => text.Replace('\0', '\uFFFD'),
                double or float => throw new ArgumentException($"{name}: the stores bind no REAL values (a replicated store could not replay them exactly); store it as text or an integer"),
                _ => value,
            });
        }

        return cmd;
    }

    public static void Exec(this SqliteConnection db, string sql, SqliteTransaction? tx = null)
    {
        using var cmd = db.Command(sql, tx);
        cmd.ExecuteNonQuery();
    }

    /// <summary>
    /// Commits a store's transaction: through the control plane's journal when the connection is
    /// journaled (<see cref="SqliteJournal"/>), plainly otherwise. Every store write ends here.
    /// </summary>
    public static void CommitDurably(this SqliteTransaction tx) => SqliteJournal.Commit(tx);
}
