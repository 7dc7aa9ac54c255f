using System.Text;
using Microsoft.Data.Sqlite;

namespace GitOrch.History.Tests.Support;

/// <summary>Looks into a state database file from outside the store, read-only.</summary>
internal static class StateDatabase
{
    /// <summary>How SQLite would run <paramref name="sql"/> on the database at <paramref name="path"/> (EXPLAIN QUERY PLAN, one step a line).</summary>
    public static string QueryPlan(string path, string sql)
    {
        using var db = new SqliteConnection($"Data Source={path};Mode=ReadOnly;Pooling=False");
        db.Open();
        using var cmd = db.CreateCommand();
        cmd.CommandText = "EXPLAIN QUERY PLAN " + sql;
        using var reader = cmd.ExecuteReader();
        var plan = new StringBuilder();
        while (reader.Read())
        {
            plan.AppendLine(reader.GetString(3));
        }

        return plan.ToString();
    }
}
