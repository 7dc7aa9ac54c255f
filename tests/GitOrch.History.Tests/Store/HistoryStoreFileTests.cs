using System.Text;
using GitOrch.History.Store;
using GitOrch.History.Tests.Support;
using static GitOrch.History.Tests.Support.Objects;

namespace GitOrch.History.Tests.Store;

/// <summary>The embedded store's file: what a damaged or newer database does to Open.</summary>
public sealed class HistoryStoreFileTests : IDisposable
{
    private readonly TempFolder _state = new();
    private readonly FixedTime _time = new(new DateTimeOffset(2024, 5, 6, 7, 8, 9, TimeSpan.Zero));
    private HistoryStore _store;

    public HistoryStoreFileTests() => _store = HistoryStore.Open(_state.Path, _time);

    public void Dispose()
    {
        _store.Dispose();
        _state.Dispose();
    }

    [Fact]
    public void AReadAfterDispose_IsRefused_NotLeftWaitingForAReadConnection()
    {
        HistoryStoreContract.WriteThreeVersions(_store);
        Assert.NotEmpty(_store.List());
        _store.Dispose();
        _store.Dispose(); // Twice is harmless.

        Assert.Throws<ObjectDisposedException>(() => _store.List());
        Assert.Throws<ObjectDisposedException>(() => _store.Commits(1));
    }

    [Fact]
    public void Open_ThrowsStateException_NamingBackupAndDocs_WhenTheFileIsNotADatabase()
    {
        using var broken = new TempFolder();
        var bytes = new byte[8192];
        new Random(7).NextBytes(bytes);
        File.WriteAllBytes(broken.File(HistoryStore.FileName), bytes);

        var ex = Assert.Throws<StateException>(() => HistoryStore.Open(broken.Path, _time));

        Assert.StartsWith($"the state database {broken.File(HistoryStore.FileName)} cannot be read (", ex.Message, StringComparison.Ordinal);
        Assert.Contains("restore it from a backup (see docs/operations.md)", ex.Message, StringComparison.Ordinal);
        Assert.Contains("move it aside to start empty", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Open_ThrowsStateException_WhenPagesOfAValidDatabaseAreOverwritten()
    {
        HistoryStoreContract.WriteThreeVersions(_store);
        _store.Dispose();
        var path = _state.File(HistoryStore.FileName);
        var bytes = File.ReadAllBytes(path);
        Assert.True(bytes.Length > 8192, $"the database is only {bytes.Length} bytes");
        Encoding.ASCII.GetBytes(new string('#', bytes.Length - 4096)).CopyTo(bytes, 4096); // Every page after the first.
        File.WriteAllBytes(path, bytes);

        var ex = Assert.Throws<StateException>(() => HistoryStore.Open(_state.Path, _time));

        Assert.Contains("restore it from a backup (see docs/operations.md)", ex.Message, StringComparison.Ordinal);
        File.Delete(path);
        _store = HistoryStore.Open(_state.Path, _time);
    }

    [Fact]
    public void LiveCountsByKind_ReadOnlyAnIndex_NotTheObjectsRows()
    {
        var c1 = new string('1', 40);
        var c2 = new string('2', 40);
        _store.ApplyCommit(Applied(c1), External(c1, "ada@example.com", "Add",
            Change(Web0, Pod(Web0, "nginx:1.25"), "*"), Change(Web1, Pod(Web1, "nginx:1.25"), "*"), Change(Policy, ClusterPolicy(5), "*")));
        _store.ApplyCommit(Applied(c2), External(c2, "ada@example.com", "Remove web-0", Change(Web0, null, "*")));

        Assert.Equal(new Dictionary<string, int> { ["ClusterPolicy"] = 1, ["Pod"] = 1 }, _store.CountByKind()); // The deleted pod is not counted.
        Assert.Equal(_store.List().GroupBy(o => o.Ref.Kind).ToDictionary(g => g.Key, g => g.Count()), _store.CountByKind());
        Assert.Contains("USING COVERING INDEX objects_live", StateDatabase.QueryPlan(_state.File(HistoryStore.FileName), HistoryStore.CountByKindSql), StringComparison.Ordinal);
    }

    [Fact]
    public void Open_RefusesASchema2DatabaseWhoseIndexNameIsTaken_AndLeavesItAtSchema2()
    {
        // A hostile or hand-edited file: schema 2, with a table where schema 3's index goes.
        HistoryStoreContract.WriteThreeVersions(_store);
        _store.Dispose();
        var path = _state.File(HistoryStore.FileName);
        using (var db = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={path};Pooling=False"))
        {
            db.Open();
            using var edit = db.CreateCommand();
            edit.CommandText = "DROP INDEX objects_live; CREATE TABLE objects_live(x); UPDATE meta SET value = '2' WHERE key = 'schema';";
            edit.ExecuteNonQuery();
        }

        var ex = Assert.Throws<StateException>(() => HistoryStore.Open(_state.Path, _time));

        Assert.Contains("restore it from a backup (see docs/operations.md)", ex.Message, StringComparison.Ordinal);
        using (var db = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={path};Mode=ReadOnly;Pooling=False"))
        {
            db.Open();
            using var schema = db.CreateCommand();
            schema.CommandText = "SELECT value FROM meta WHERE key = 'schema'";
            Assert.Equal("2", schema.ExecuteScalar()); // The migration's transaction rolled back whole.
        }

        File.Delete(path);
        _store = HistoryStore.Open(_state.Path, _time);
    }

    [Fact]
    public void Open_ThrowsStateException_WhenANewerGitorchWroteTheDatabase()
    {
        _store.SetMeta("schema", "4");
        _store.Dispose();

        var ex = Assert.Throws<StateException>(() => HistoryStore.Open(_state.Path, _time));

        Assert.Equal($"the state database {_state.File(HistoryStore.FileName)} was written by a newer gitorch (schema 4, this one knows 3); upgrade gitorch", ex.Message);
        File.Delete(_state.File(HistoryStore.FileName));
        _store = HistoryStore.Open(_state.Path, _time);
    }
}
