using GitOrch.Core.State;
using GitOrch.Storage;
using System.Globalization;
using System.Text.Json;
using GitOrch.Core.Diagnostics;
using GitOrch.Core.Workflow;
using GitOrch.Workflow.Model;
using Microsoft.Data.Sqlite;

namespace GitOrch.Workflow.Store;

/// <summary>
/// Transactions, unit states and step log lines, in the state database. A new transaction is
/// written at once; state changes and log lines are written behind, in batches (every
/// <see cref="Flush"/>, which the engine calls within a fraction of a second). A crash can lose at
/// most the last fraction of a second of unit states: those steps run again, which loops must
/// tolerate (they are idempotent by contract).
/// </summary>
public sealed class WorkflowStore : IDisposable
{
    private readonly SqliteConnection _db;
    private readonly WriteGate _gate;
    private readonly Dictionary<long, Transaction> _dirty = [];
    private readonly List<StepLog> _logs = [];
    private readonly Dictionary<IReadOnlyList<string>, string> _listJson = new(ReferenceEqualityComparer.Instance);

    /// <param name="databasePath">The state file.</param>
    /// <param name="journal">Journals every write (a replica of the control plane).</param>
    /// <param name="gate">The gate of the state file's writers, shared with the history store (a gate of its own when alone).</param>
    public WorkflowStore(string databasePath, GitOrch.Core.State.IStateJournal? journal = null, WriteGate? gate = null)
    {
        _gate = gate ?? new WriteGate();
        _db = SqliteDb.OpenDurable(databasePath);
        _db.Exec("""
            CREATE TABLE IF NOT EXISTS wf_transactions(
              id INTEGER PRIMARY KEY AUTOINCREMENT,
              kind TEXT NOT NULL, namespace TEXT NOT NULL, name TEXT NOT NULL,
              source_commit TEXT, created_at TEXT NOT NULL, state TEXT NOT NULL, superseded INTEGER NOT NULL);
            CREATE INDEX IF NOT EXISTS wf_transactions_object ON wf_transactions(kind, namespace, name, id);
            CREATE INDEX IF NOT EXISTS wf_transactions_state ON wf_transactions(state);
            CREATE TABLE IF NOT EXISTS wf_units(
              txn INTEGER NOT NULL REFERENCES wf_transactions(id), name TEXT NOT NULL, type TEXT NOT NULL, owner TEXT NOT NULL,
              after TEXT NOT NULL, requires TEXT NOT NULL, wants TEXT NOT NULL, timeout INTEGER NOT NULL, max_attempts INTEGER NOT NULL,
              state TEXT NOT NULL, started_at TEXT, ended_at TEXT, since TEXT, attempts INTEGER NOT NULL, failures INTEGER NOT NULL,
              message TEXT, next_attempt_at TEXT,
              PRIMARY KEY(txn, name));
            CREATE TABLE IF NOT EXISTS wf_logs(
              id INTEGER PRIMARY KEY AUTOINCREMENT, txn INTEGER NOT NULL, kind TEXT NOT NULL, namespace TEXT NOT NULL, name TEXT NOT NULL,
              step TEXT NOT NULL, source_commit TEXT, attempt INTEGER NOT NULL, time TEXT NOT NULL, level TEXT NOT NULL, message TEXT NOT NULL);
            CREATE INDEX IF NOT EXISTS wf_logs_object ON wf_logs(kind, namespace, name, id);
            """);
        if (journal is not null)
        {
            SqliteJournal.Attach(_db, journal, Path.GetFileName(databasePath));
        }
    }

    /// <summary>Writes a new transaction with its units (durably, at once) and returns its id.</summary>
    public long Create(ObjectRef obj, string? commit, DateTimeOffset at, IReadOnlyList<Unit> units) =>
        CreateMany([(obj, commit, units)], at)[0];

    /// <summary>Creates many transactions in one store transaction (one sync to disk for a whole commit's objects).</summary>
    public IReadOnlyList<long> CreateMany(IReadOnlyList<(ObjectRef Object, string? Commit, IReadOnlyList<Unit> Units)> starts, DateTimeOffset at)
    {
        using (_gate.Background())
        {
            using var tx = _db.BeginTransaction();
            using var insert = _db.Prepare("INSERT INTO wf_transactions(kind, namespace, name, source_commit, created_at, state, superseded) VALUES($k,$n,$m,$c,$at,'active',0) RETURNING id", tx,
                "$k", "$n", "$m", "$c", "$at");
            using var units = PrepareUnits(tx);
            var created = Format(at);
            var ids = new List<long>(starts.Count);
            var written = new List<(Unit, int)>();
            foreach (var (obj, commit, planned) in starts)
            {
                insert.Bind(obj.Kind, obj.Namespace, obj.Name, commit, created);
                var id = (long)insert.ExecuteScalar()!;
                foreach (var unit in planned)
                {
                    SaveUnit(units, id, unit, written);
                }

                ids.Add(id);
            }

            tx.CommitDurably();
            MarkSaved(written);
            return ids;
        }
    }

    /// <summary>Notes that a transaction changed; it is written on the next flush.</summary>
    public void MarkDirty(Transaction transaction)
    {
        using (_gate.Background())
        {
            _dirty[transaction.Id] = transaction;
        }
    }

    public void Append(StepLog log)
    {
        using (_gate.Background())
        {
            _logs.Add(log);
        }
    }

    /// <summary>Writes pending unit states and log lines in one database transaction.</summary>
    public void Flush()
    {
        using (_gate.Background())
        {
            if (_dirty.Count == 0 && _logs.Count == 0)
            {
                return;
            }

            using var tx = _db.BeginTransaction();
            using var update = _db.Prepare("UPDATE wf_transactions SET state=$s, superseded=$x WHERE id=$id", tx, "$s", "$x", "$id");
            using var units = PrepareUnits(tx);
            var written = new List<(Unit, int)>();
            foreach (var transaction in _dirty.Values)
            {
                update.Run(transaction.State, transaction.Superseded ? 1 : 0, transaction.Id);
                foreach (var unit in transaction.Units)
                {
                    SaveUnit(units, transaction.Id, unit, written);
                }
            }

            using var insert = _db.Prepare("INSERT INTO wf_logs(txn, kind, namespace, name, step, source_commit, attempt, time, level, message) VALUES($t,$k,$n,$m,$s,$c,$a,$at,$l,$msg)", tx,
                "$t", "$k", "$n", "$m", "$s", "$c", "$a", "$at", "$l", "$msg");
            foreach (var log in _logs)
            {
                insert.Run(log.Transaction, log.Object.Kind, log.Object.Namespace, log.Object.Name, log.Step, log.Commit, log.Attempt, Format(log.Time), log.Level, log.Message);
            }

            tx.CommitDurably();
            MarkSaved(written);
            _dirty.Clear();
            _logs.Clear();
        }
    }

    /// <summary>Transactions that had not finished (for resuming after a restart).</summary>
    public IReadOnlyList<Transaction> LoadActive()
    {
        Flush();
        using (_gate.Background())
        {
            return LoadTransactions("WHERE state = 'active'");
        }
    }

    /// <summary>The newest transaction of an object.</summary>
    public Transaction? Latest(ObjectRef obj)
    {
        Flush();
        using (_gate.Background())
        {
            return LoadTransactions("WHERE kind=$k AND namespace=$n AND name=$m ORDER BY id DESC LIMIT 1", ("$k", obj.Kind), ("$n", obj.Namespace), ("$m", obj.Name)).FirstOrDefault();
        }
    }

    /// <summary>Every log line about an object, oldest first (the newest <paramref name="limit"/>).</summary>
    public IReadOnlyList<StepLog> Logs(ObjectRef obj, int limit = 1000, long? transaction = null)
    {
        Flush();
        using (_gate.Background())
        {
            var filter = transaction is null ? string.Empty : " AND txn = $t";
            using var cmd = _db.Command($"SELECT time, step, source_commit, txn, attempt, level, message FROM wf_logs WHERE kind=$k AND namespace=$n AND name=$m{filter} ORDER BY id DESC LIMIT $l", null,
                ("$k", obj.Kind), ("$n", obj.Namespace), ("$m", obj.Name), ("$l", limit), ("$t", transaction));
            using var reader = cmd.ExecuteReader();
            var logs = new List<StepLog>();
            while (reader.Read())
            {
                logs.Add(new StepLog(Parse(reader.GetString(0))!.Value, obj, reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetString(2),
                    reader.GetInt64(3), reader.GetInt32(4), reader.GetString(5), reader.GetString(6)));
            }

            logs.Reverse();
            return logs;
        }
    }

    private List<Transaction> LoadTransactions(string where, params (string, object?)[] args)
    {
        var result = new List<Transaction>();
        using (var cmd = _db.Command($"SELECT id, kind, namespace, name, source_commit, created_at, superseded FROM wf_transactions {where}", null, args))
        using (var reader = cmd.ExecuteReader())
        {
            while (reader.Read())
            {
                result.Add(new Transaction
                {
                    Id = reader.GetInt64(0),
                    Object = new ObjectRef(reader.GetString(1), reader.GetString(2), reader.GetString(3)),
                    Commit = reader.IsDBNull(4) ? null : reader.GetString(4),
                    CreatedAt = Parse(reader.GetString(5))!.Value,
                    Superseded = reader.GetInt32(6) != 0,
                    Units = [],
                });
            }
        }

        return result.Select(t => new Transaction
        {
            Id = t.Id,
            Object = t.Object,
            Commit = t.Commit,
            CreatedAt = t.CreatedAt,
            Superseded = t.Superseded,
            Units = LoadUnits(t.Id),
        }).ToList();
    }

    private List<Unit> LoadUnits(long txn)
    {
        using var cmd = _db.Command("SELECT name, type, owner, after, requires, wants, timeout, max_attempts, state, started_at, ended_at, since, attempts, failures, message, next_attempt_at FROM wf_units WHERE txn=$t ORDER BY name", null, ("$t", txn));
        using var reader = cmd.ExecuteReader();
        var units = new List<Unit>();
        while (reader.Read())
        {
            units.Add(new Unit
            {
                Name = UnitText.Name(reader.GetString(0)),
                Type = reader.GetString(1) == "target" ? UnitType.Target : UnitType.Step,
                Owner = UnitText.Name(reader.GetString(2)),
                After = UnitText.List(JsonSerializer.Deserialize<List<string>>(reader.GetString(3)) ?? []),
                Requires = UnitText.List(JsonSerializer.Deserialize<List<string>>(reader.GetString(4)) ?? []),
                Wants = UnitText.List(JsonSerializer.Deserialize<List<string>>(reader.GetString(5)) ?? []),
                TimeoutSeconds = reader.GetInt32(6),
                MaxAttempts = reader.GetInt32(7),
                State = UnitStates.Parse(reader.GetString(8)),
                StartedAt = Parse(reader.IsDBNull(9) ? null : reader.GetString(9)),
                EndedAt = Parse(reader.IsDBNull(10) ? null : reader.GetString(10)),
                Since = Parse(reader.IsDBNull(11) ? null : reader.GetString(11)),
                Attempts = reader.GetInt32(12),
                Failures = reader.GetInt32(13),
                Message = reader.IsDBNull(14) ? null : reader.GetString(14),
                NextAttemptAt = Parse(reader.IsDBNull(15) ? null : reader.GetString(15)),
            });
            units[^1].SavedVersion = units[^1].Version;
        }

        return units;
    }

    /// <summary>The upsert of a unit's row, prepared once for a batch of units.</summary>
    private SqliteCommand PrepareUnits(SqliteTransaction tx) => _db.Prepare("""
        INSERT INTO wf_units(txn, name, type, owner, after, requires, wants, timeout, max_attempts, state, started_at, ended_at, since, attempts, failures, message, next_attempt_at)
        VALUES($t,$n,$ty,$o,$af,$rq,$w,$to,$ma,$s,$sa,$ea,$si,$a,$f,$m,$na)
        ON CONFLICT(txn, name) DO UPDATE SET state=excluded.state, started_at=excluded.started_at, ended_at=excluded.ended_at, since=excluded.since,
          attempts=excluded.attempts, failures=excluded.failures, message=excluded.message, next_attempt_at=excluded.next_attempt_at
        """, tx, "$t", "$n", "$ty", "$o", "$af", "$rq", "$w", "$to", "$ma", "$s", "$sa", "$ea", "$si", "$a", "$f", "$m", "$na");

    /// <summary>
    /// Writes a unit's row unless it is as the store last wrote it: a transaction is written whenever
    /// one of its units changes, and most of its units have not. What was written is noted in
    /// <paramref name="written"/>, to be marked saved once the database transaction commits.
    /// </summary>
    private void SaveUnit(SqliteCommand upsert, long txn, Unit u, List<(Unit, int)> written)
    {
        var version = u.Version; // Read first: a change made while the row is written is written next time.
        if (u.SavedVersion == version)
        {
            return;
        }

        upsert.Run(txn, u.Name, u.Type == UnitType.Target ? "target" : "step", u.Owner, ListJson(u.After), ListJson(u.Requires), ListJson(u.Wants),
            u.TimeoutSeconds, u.MaxAttempts, u.State.ToText(), Format(u.StartedAt), Format(u.EndedAt), Format(u.Since), u.Attempts, u.Failures, u.Message, Format(u.NextAttemptAt));
        written.Add((u, version));
    }

    private static void MarkSaved(List<(Unit Unit, int Version)> written)
    {
        foreach (var (unit, version) in written)
        {
            unit.SavedVersion = version;
        }
    }

    /// <summary>
    /// A unit's name list as stored (JSON). Units share their lists (<see cref="UnitText"/>), so the
    /// text is made once per list, not once per unit each time its state is written.
    /// </summary>
    private string ListJson(IReadOnlyList<string> names)
    {
        if (names.Count == 0)
        {
            return "[]";
        }

        if (!_listJson.TryGetValue(names, out var json))
        {
            if (_listJson.Count >= 4096)
            {
                _listJson.Clear();
            }

            _listJson[names] = json = JsonSerializer.Serialize(names);
        }

        return json;
    }

    private static string? Format(DateTimeOffset? t) => t?.UtcDateTime.ToString("O", CultureInfo.InvariantCulture);

    private static DateTimeOffset? Parse(string? s) => s is null ? null : DateTimeOffset.Parse(s, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind);

    public void Dispose()
    {
        try
        {
            Flush();
        }
        catch (Exception ex) when (ex is Microsoft.Data.Sqlite.SqliteException or IOException or Core.State.JournalRefusedException)
        {
            // What could not be written stays unwritten (a full disk, a term that ended); the
            // connection still closes.
        }
        finally
        {
            _db.Dispose();
        }
    }
}
