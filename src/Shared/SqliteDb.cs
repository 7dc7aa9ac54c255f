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
            cmd.Parameters.AddWithValue(name, Bindable(name, value));
        }

        return cmd;
    }

    /// <summary>
    /// A command for many rows: its statement is compiled once, and each <see cref="Run"/> binds a
    /// row's values to <paramref name="names"/> in order. A batch of thousands of rows then costs
    /// one statement, not one command, statement and set of parameters per row.
    /// </summary>
    public static SqliteCommand Prepare(this SqliteConnection db, string sql, SqliteTransaction? tx, params string[] names)
    {
        var cmd = db.CreateCommand();
        cmd.CommandText = sql;
        cmd.Transaction = tx;
        foreach (var name in names)
        {
            cmd.Parameters.Add(new SqliteParameter { ParameterName = name, Value = DBNull.Value });
        }

        return cmd;
    }

    /// <summary>Runs a prepared command (<see cref="Prepare"/>) with one row's values, in the order of its parameters.</summary>
    public static int Run(this SqliteCommand cmd, params object?[] values)
    {
        cmd.Bind(values);
        return cmd.ExecuteNonQuery();
    }

    /// <summary>Binds one row's values to a prepared command's parameters, in their order (then execute it as needed).</summary>
    public static void Bind(this SqliteCommand cmd, params object?[] values)
    {
        if (values.Length != cmd.Parameters.Count)
        {
            throw new ArgumentException($"{values.Length} value(s) for {cmd.Parameters.Count} parameter(s)", nameof(values));
        }

        for (var i = 0; i < values.Length; i++)
        {
            var parameter = cmd.Parameters[i];
            parameter.Value = Bindable(parameter.ParameterName, values[i]);
        }
    }

    /// <summary>
    /// A value as the stores bind it. A replicated store replays statements as SQLite prints them,
    /// which ends text at a NUL and rounds REALs: text keeps no NUL (the replacement character stands
    /// for it, on every replica alike), and no store binds a REAL.
    /// </summary>
    private static object Bindable(string name, object? value) => value switch
    {
        null => DBNull.Value,
        string text when text.Contains('\0', StringComparison.Ordinal) => text.Replace('\0', '\uFFFD'),
        double or float => throw new ArgumentException($"{name}: the stores bind no REAL values (a replicated store could not replay them exactly); store it as text or an integer"),
        _ => value,
    };

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
