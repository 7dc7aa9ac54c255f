using GitOrch.Core.Diagnostics;
using GitOrch.Core.Workflow;
using GitOrch.Workflow.Model;
using GitOrch.Workflow.Store;
using GitOrch.Workflow.Tests.Support;
using static GitOrch.Workflow.Tests.Support.Units;

namespace GitOrch.Workflow.Tests.Store;

/// <summary>Transactions, unit states and log lines in a real SQLite file, across reopening it.</summary>
public sealed class WorkflowStoreTests : IDisposable
{
    private static readonly ObjectRef Web = new("Pod", "demo", "web");
    private static readonly ObjectRef Api = new("Pod", "demo", "api");
    private static readonly DateTimeOffset T0 = new(2025, 3, 1, 12, 0, 0, TimeSpan.Zero);

    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    private string Db => _folder.File("state.db");

    private static StepLog Log(ObjectRef obj, long txn, int second, string step, string message) =>
        new(T0.AddSeconds(second), obj, step, "abc123", txn, 1, "info", message);

    [Fact]
    public void Create_StoresTheUnitsWithTheirEdges_AndLatestReadsThemBackAfterReopening()
    {
        long id;
        using (var store = new WorkflowStore(Db))
        {
            id = store.Create(Web, "abc123", T0, [
                Step("mount", after: ["scheduled.target"], requires: ["scheduled.target"], wants: ["metrics"], timeoutSeconds: 120, maxAttempts: 2),
                Target("scheduled.target"),
            ]);
        }

        using var reopened = new WorkflowStore(Db);
        var t = reopened.Latest(Web)!;

        Assert.Equal((id, "abc123", T0, "active", false), (t.Id, t.Commit, t.CreatedAt, t.State, t.Superseded));
        Assert.Equal(Web, t.Object);
        Assert.Equal(["mount", "scheduled.target"], t.Units.Select(u => u.Name));
        var mount = t.Units[0];
        Assert.Equal((UnitType.Step, "mount", 120, 2, UnitState.Waiting), (mount.Type, mount.Owner, mount.TimeoutSeconds, mount.MaxAttempts, mount.State));
        Assert.Equal(["scheduled.target"], mount.After);
        Assert.Equal(["scheduled.target"], mount.Requires);
        Assert.Equal(["metrics"], mount.Wants);
        Assert.Equal((UnitType.Target, "target"), (t.Units[1].Type, t.Units[1].Owner));
    }

    [Fact]
    public void FlushedStateChanges_Persist_WithTimesMessagesAndCounters()
    {
        var started = T0.AddSeconds(1.25);
        var ended = T0.AddSeconds(3.5);
        using (var store = new WorkflowStore(Db))
        {
            var units = new[] { Step("mount", maxAttempts: 3) };
            var id = store.Create(Web, null, T0, units);
            var t = new Transaction { Id = id, Object = Web, CreatedAt = T0, Units = units };
            units[0].State = UnitState.Failed;
            units[0].StartedAt = started;
            units[0].EndedAt = ended;
            units[0].Since = ended;
            units[0].Attempts = 3;
            units[0].Failures = 3;
            units[0].Message = "nope (after 3 attempts)";
            store.MarkDirty(t);
            store.Flush();
        }

        using var reopened = new WorkflowStore(Db);
        var stored = reopened.Latest(Web)!;
        var mount = stored.Find("mount")!;
        Assert.Equal("failed", stored.State);
        Assert.Null(stored.Commit);
        Assert.Equal(
            (UnitState.Failed, started, ended, ended, 3, 3, "nope (after 3 attempts)"),
            (mount.State, mount.StartedAt, mount.EndedAt, mount.Since, mount.Attempts, mount.Failures, mount.Message));
        Assert.Empty(reopened.LoadActive());
    }

    [Fact]
    public void Latest_IsTheNewestTransactionOfThatObject_AndNullForAnObjectWithoutOne()
    {
        using var store = new WorkflowStore(Db);
        store.Create(Web, "one", T0, [Step("a")]);
        var second = store.Create(Web, "two", T0.AddSeconds(1), [Step("b")]);
        var api = store.Create(Api, "three", T0.AddSeconds(2), [Step("c")]);

        Assert.Equal((second, "two", "b"), (store.Latest(Web)!.Id, store.Latest(Web)!.Commit, store.Latest(Web)!.Units.Single().Name));
        Assert.Equal(api, store.Latest(Api)!.Id);
        Assert.Null(store.Latest(new ObjectRef("Pod", "other", "web")));
    }

    [Fact]
    public void LoadActive_ReturnsOnlyTransactionsThatHadNotFinished()
    {
        using var store = new WorkflowStore(Db);
        var doneUnits = new[] { Step("a") };
        var done = store.Create(Web, null, T0, doneUnits);
        doneUnits[0].State = UnitState.Done;
        store.MarkDirty(new Transaction { Id = done, Object = Web, CreatedAt = T0, Units = doneUnits });
        var supersededUnits = new[] { Step("b") };
        var superseded = store.Create(Web, null, T0, supersededUnits);
        supersededUnits[0].State = UnitState.Skipped;
        store.MarkDirty(new Transaction { Id = superseded, Object = Web, CreatedAt = T0, Units = supersededUnits, Superseded = true });
        var active = store.Create(Api, null, T0, [Step("c")]);

        var loaded = store.LoadActive();

        Assert.Equal([active], loaded.Select(t => t.Id));
        Assert.Equal("superseded", store.Latest(Web)!.State);
    }

    [Fact]
    public void Logs_AreReturnedOldestFirst_PerObject_AfterReopening()
    {
        using (var store = new WorkflowStore(Db))
        {
            store.Append(Log(Web, 1, 0, "-", "transaction 1 started"));
            store.Append(Log(Web, 1, 1, "scheduler", "done: placed"));
            store.Append(Log(Api, 2, 2, "scheduler", "about another pod"));
            store.Append(Log(Web, 1, 3, "ipam", "done: address"));
        }

        using var reopened = new WorkflowStore(Db);
        var logs = reopened.Logs(Web);

        Assert.Equal(["transaction 1 started", "done: placed", "done: address"], logs.Select(l => l.Message));
        Assert.Equal(["-", "scheduler", "ipam"], logs.Select(l => l.Step));
        Assert.Equal([T0, T0.AddSeconds(1), T0.AddSeconds(3)], logs.Select(l => l.Time));
        Assert.All(logs, l => Assert.Equal((Web, "abc123", 1L, 1, "info"), (l.Object, l.Commit, l.Transaction, l.Attempt, l.Level)));
    }

    [Fact]
    public void Logs_WithALimit_AreTheNewestLines_StillOldestFirst_AndCanBeFilteredByTransaction()
    {
        using var store = new WorkflowStore(Db);
        for (var i = 0; i < 5; i++)
        {
            store.Append(Log(Web, i < 3 ? 1 : 2, i, "step", $"line {i}"));
        }

        // Unflushed lines are visible: Logs flushes first.
        Assert.Equal(["line 3", "line 4"], store.Logs(Web, limit: 2).Select(l => l.Message));
        Assert.Equal(["line 0", "line 1", "line 2"], store.Logs(Web, transaction: 1).Select(l => l.Message));
        Assert.Equal(["line 2"], store.Logs(Web, limit: 1, transaction: 1).Select(l => l.Message));
    }

    /// <summary>Runs SQL on the store's file beside the store (a trigger or a table the test watches with).</summary>
    private void Sql(string sql)
    {
        using var db = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Db};Pooling=False");
        db.Open();
        using var cmd = db.CreateCommand();
        cmd.CommandText = sql;
        cmd.ExecuteNonQuery();
    }

    private List<string> Column(string sql)
    {
        using var db = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Db};Pooling=False");
        db.Open();
        using var cmd = db.CreateCommand();
        cmd.CommandText = sql;
        using var reader = cmd.ExecuteReader();
        var values = new List<string>();
        while (reader.Read())
        {
            values.Add(reader.GetString(0));
        }

        return values;
    }

    [Fact]
    public void Flush_WritesOnlyTheUnitsThatChanged()
    {
        // 10,000 waiting pods have 8 units each; a change of one unit must not write all eight again.
        using var store = new WorkflowStore(Db);
        var units = new[] { Step("scheduler"), Step("ipam", after: ["scheduler"]), Target("running.target") };
        var id = store.Create(Web, null, T0, units);
        var t = new Transaction { Id = id, Object = Web, CreatedAt = T0, Units = units };
        Sql("CREATE TABLE unit_writes(name TEXT); CREATE TRIGGER unit_written AFTER UPDATE ON wf_units BEGIN INSERT INTO unit_writes VALUES(new.name); END;");

        units[0].State = UnitState.Running;
        units[0].Attempts = 1;
        store.MarkDirty(t);
        store.Flush();
        store.MarkDirty(t); // Marked again with nothing changed: nothing to write.
        store.Flush();
        units[0].State = UnitState.Done;
        units[1].State = UnitState.Running;
        store.MarkDirty(t);
        store.Flush();

        Assert.Equal(["scheduler", "scheduler", "ipam"], Column("SELECT name FROM unit_writes ORDER BY rowid"));
    }

    [Fact]
    public void AUnitWhoseWriteFailed_IsWrittenByTheNextFlush()
    {
        // A flush that fails (a full disk) writes nothing; its units are still to be written.
        var units = new[] { Step("scheduler") };
        using (var store = new WorkflowStore(Db))
        {
            var id = store.Create(Web, null, T0, units);
            var t = new Transaction { Id = id, Object = Web, CreatedAt = T0, Units = units };
            // The unit's row is written, then the log line after it is refused: the whole flush rolls back.
            Sql("CREATE TABLE refuse(yes INTEGER); INSERT INTO refuse VALUES(1); CREATE TRIGGER refused BEFORE INSERT ON wf_logs WHEN (SELECT yes FROM refuse) = 1 BEGIN SELECT RAISE(ABORT, 'refused by the test'); END;");
            units[0].State = UnitState.Done;
            units[0].Message = "placed";
            store.MarkDirty(t);
            store.Append(Log(Web, id, 1, "scheduler", "done: placed"));
            Assert.Throws<Microsoft.Data.Sqlite.SqliteException>(store.Flush);

            Sql("UPDATE refuse SET yes = 0");
            store.Flush();
        }

        using var reopened = new WorkflowStore(Db);
        Assert.Equal((UnitState.Done, "placed"), (reopened.Latest(Web)!.Find("scheduler")!.State, reopened.Latest(Web)!.Find("scheduler")!.Message));
        Assert.Equal(["done: placed"], reopened.Logs(Web).Select(l => l.Message));
    }

    [Fact]
    public void ALogLineWithANul_IsStoredWithTheReplacementCharacter_AndAPreparedRowRefusesAReal()
    {
        // A replicated store replays statements as SQLite prints them, which would cut the text at the NUL.
        using (var store = new WorkflowStore(Db))
        {
            store.Append(Log(Web, 1, 0, "scheduler", "before\0after"));
        }

        using var reopened = new WorkflowStore(Db);
        Assert.Equal(["before\uFFFDafter"], reopened.Logs(Web).Select(l => l.Message));

        using var db = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Db};Pooling=False");
        db.Open();
        using var insert = GitOrch.Storage.SqliteDb.Prepare(db, "SELECT $v", null, "$v");
        var refused = Assert.Throws<ArgumentException>(() => GitOrch.Storage.SqliteDb.Run(insert, 1.5));
        Assert.StartsWith("$v: the stores bind no REAL values", refused.Message, StringComparison.Ordinal);
    }
}
