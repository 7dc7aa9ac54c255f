using System.Globalization;
using System.Text;
using Microsoft.Data.Sqlite;

namespace GitOrch.Tests.Shared;

/// <summary>
/// Every row of every table of a SQLite database as text (column names with values, blobs in hex),
/// each table's rows sorted, for comparing two copies of the replicated state. Sorted rather than in
/// rowid order: a copy restored from a snapshot (VACUUM INTO) may number implicit rowids differently.
/// </summary>
internal static class SqliteRows
{
    public static string Dump(SqliteConnection db, SqliteTransaction? tx, string header, Func<string, bool>? include = null)
    {
        var tables = new List<string>();
        using (var list = db.CreateCommand())
        {
            list.Transaction = tx;
            list.CommandText = "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name";
            using var reader = list.ExecuteReader();
            while (reader.Read())
            {
                tables.Add(reader.GetString(0));
            }
        }

        var text = new StringBuilder();
        foreach (var table in tables.Where(t => include?.Invoke(t) ?? true))
        {
            using var select = db.CreateCommand();
            select.Transaction = tx;
            select.CommandText = $"SELECT * FROM \"{table}\"";
            using var reader = select.ExecuteReader();
            var rows = new List<string>();
            while (reader.Read())
            {
                var row = new StringBuilder();
                for (var c = 0; c < reader.FieldCount; c++)
                {
                    var value = reader.GetValue(c);
                    row.Append(reader.GetName(c)).Append('=').Append(value is byte[] bytes ? Convert.ToHexString(bytes) : Convert.ToString(value, CultureInfo.InvariantCulture)).Append('|');
                }

                rows.Add(row.ToString());
            }

            rows.Sort(StringComparer.Ordinal);
            text.Append("== ").Append(header).Append(' ').Append(table).Append(" (").Append(rows.Count).Append(" rows)\n");
            foreach (var row in rows)
            {
                text.Append(row).Append('\n');
            }
        }

        return text.ToString();
    }
}
