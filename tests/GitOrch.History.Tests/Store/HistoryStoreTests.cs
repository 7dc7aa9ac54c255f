using System.Text;
using GitOrch.Core.Diagnostics;
using GitOrch.History.Store;
using GitOrch.History.Tests.Support;
using static GitOrch.History.Tests.Support.Objects;

namespace GitOrch.History.Tests.Store;

public sealed class HistoryStoreTests : IDisposable
{
    private static readonly DateTimeOffset Now = new(2024, 5, 6, 7, 8, 9, TimeSpan.Zero);
    private static readonly string C1 = new('1', 40);
    private static readonly string C2 = new('2', 40);
    private static readonly string C3 = new('3', 40);

    private readonly TempFolder _state = new();
    private readonly FixedTime _time = new(Now);
    private HistoryStore _store;

    public HistoryStoreTests() => _store = HistoryStore.Open(_state.Path, _time);

    public void Dispose()
    {
        _store.Dispose();
        _state.Dispose();
    }

    private void Reopen()
    {
        _store.Dispose();
        _store = HistoryStore.Open(_state.Path, _time);
    }

    /// <summary>Version 1 by Ada's commit, version 2 by the scheduler, version 3 by Bob's commit.</summary>
    private void WriteThreeVersions()
    {
        Assert.Equal(1, _store.ApplyCommit(Applied(C1), External(C1, "ada@example.com", "Add web", Change(Web0, Pod(Web0, "nginx:1.25"), "*"))));
        Assert.Equal(2, _store.Write(Mechanical("scheduler", C1, "scheduler: place Pod demo/web-0 on node-a", Change(Web0, Pod(Web0, "nginx:1.25", "node-a"), "status.nodeName"))));
        Assert.Equal(3, _store.ApplyCommit(Applied(C2, "bob@example.com"), External(C2, "bob@example.com", "Bump web", Change(Web0, Pod(Web0, "nginx:1.26", "node-a"), "spec.containers[0].image"))));
    }

    [Fact]
    public void ListAndWatch_GivesTheLiveObjectsOfAKind_ThenEveryCommittedWriteInOrder()
    {
        Assert.Equal(1, _store.ApplyCommit(Applied(C1), External(C1, "ada@example.com", "Add web", Change(Web0, Pod(Web0, "nginx:1.25"), "*"), Change(Policy, ClusterPolicy(5), "*"))));
        var seen = new List<(ObjectRef Ref, string? Json)>();

        var live = _store.ListAndWatch("Pod", written => seen.AddRange(written.Select(w => (w.Ref, w.ObjectJson))));
        _store.Write(Mechanical("scheduler", C1, "place", Change(Web0, Pod(Web0, "nginx:1.25", "node-a"), "status.nodeName")));
        _store.ApplyCommit(Applied(C2), External(C2, "ada@example.com", "Web 1, web 0 goes", Change(Web1, Pod(Web1, "nginx:1.25"), "*"), Change(Web0, null, "*")));

        Assert.Equal([Web0], live.Select(o => o.Ref));
        Assert.Equal([(Web0, Pod(Web0, "nginx:1.25", "node-a")), (Web1, Pod(Web1, "nginx:1.25")), (Web0, (string?)null)], seen);
    }

    [Fact]
    public void ARefusedWrite_TellsTheWatchersNothing_AndUnwatchStopsTheCalls()
    {
        _store.ApplyCommit(Applied(C1), External(C1, "ada@example.com", "Add web", Change(Web0, Pod(Web0, "nginx:1.25"), "*")));
        var calls = 0;
        void Count(IReadOnlyList<WrittenObject> written) => calls++;
        _store.ListAndWatch("Pod", Count);

        var refusal = Diagnostic.Error(new SourceLocation("objects/Pod/demo/web-0.yaml", 1, 1), "GO2001", "refused", Web0);
        Assert.Equal(0, _store.Write(Mechanical("scheduler", C1, "place", Change(Web0, Pod(Web0, "nginx:1.25", "node-a"), "status.nodeName")), (_, _, _) => [refusal], out _));
        Assert.Equal(0, calls);
        _store.Write(Mechanical("scheduler", C1, "place", Change(Web0, Pod(Web0, "nginx:1.25", "node-a"), "status.nodeName")));
        Assert.Equal(1, calls);
        _store.Unwatch(Count);
        _store.Write(Mechanical("scheduler", C1, "place", Change(Web0, Pod(Web0, "nginx:1.25", "node-b"), "status.nodeName")));

        Assert.Equal(1, calls);
    }

    [Fact]
    public void ApplyCommit_AndWrite_RecordVersions_WithChangerKindSourceAndFields()
    {
        WriteThreeVersions();

        var history = _store.History(Web0);

        Assert.Equal([1, 2, 3], history.Select(v => v.Version));
        Assert.Equal([1L, 2L, 3L], history.Select(v => v.Batch));
        Assert.Equal([Ada, Scheduler, Bob], history.Select(v => v.Changer));
        Assert.Equal([ChangeKind.External, ChangeKind.Mechanical, ChangeKind.External], history.Select(v => v.Kind));
        Assert.Equal([C1, C1, C2], history.Select(v => v.SourceCommit));
        Assert.Equal(["*", "status.nodeName", "spec.containers[0].image"], history.Select(v => string.Join(",", v.Fields)));
        Assert.All(history, v => Assert.False(v.Deleted));
        Assert.All(history, v => Assert.Equal(Now, v.CreatedAt));
        Assert.All(history, v => Assert.Equal(Web0, v.Ref));
    }

    [Fact]
    public void ApplyCommit_UpdatesTheCurrentObject_AndTheCommitRecord()
    {
        WriteThreeVersions();

        var current = _store.Get(Web0)!;
        Assert.Equal(3, current.Version);
        Assert.False(current.Deleted);
        Assert.Equal(Bob, current.LastChanger);
        Assert.Equal("apps/web-0.yaml", current.File);
        Assert.Equal(Pod(Web0, "nginx:1.26", "node-a"), current.ObjectJson);
        Assert.Equal(Now, current.UpdatedAt);
        Assert.Equal(C2, _store.LastApplied);
        Assert.Equal(1, _store.FindCommit(C1)!.ObjectsChanged);
        Assert.Equal(CommitRecord.Applied, _store.FindCommit(C2)!.State);
        Assert.Equal([C2, C1], _store.Commits().Select(c => c.Sha));
    }

    [Fact]
    public void ApplyCommit_WithoutChanges_RecordsTheCommit_AndNoBatch()
    {
        Assert.Equal(0, _store.ApplyCommit(Applied(C1), null));
        Assert.Equal(0, _store.ApplyCommit(Applied(C2), External(C2, "ada@example.com", "nothing")));

        Assert.Equal(C2, _store.LastApplied);
        Assert.Empty(_store.BatchesAfter(0));
        Assert.Equal(0, _store.FindCommit(C2)!.ObjectsChanged);
    }

    [Fact]
    public void RecordRejected_ChangesNoObject_AndKeepsTheDiagnostics()
    {
        _store.ApplyCommit(Applied(C1), External(C1, "ada@example.com", "Add web", Change(Web0, Pod(Web0, "nginx:1.25"), "*")));
        var diagnostic = Diagnostic.Error(new SourceLocation("apps/web-0.yaml", 7, 14), DiagnosticCodes.WrongType, "spec.containers[0].image of Pod demo/web-0 must be a string; quote it", Web0);
        var rejected = new CommitRecord(C2, CommitRecord.Rejected, "Bob Builder", "bob@example.com", "break web", Now, Now, [diagnostic], 0, "1 error");

        _store.RecordRejected(rejected);

        Assert.Equal(C1, _store.LastApplied);
        Assert.Equal(1, _store.Get(Web0)!.Version);
        Assert.Single(_store.History(Web0));
        Assert.Equal([1L], _store.BatchesAfter(0).Select(b => b.Id));
        var stored = _store.FindCommit(C2)!;
        Assert.Equal(CommitRecord.Rejected, stored.State);
        Assert.Equal("1 error", stored.Note);
        Assert.Equal([diagnostic], stored.Diagnostics);
        Assert.Equal([C2, C1], _store.Commits().Select(c => c.Sha));
    }

    [Fact]
    public void History_FiltersByChanger_AndExcludingAChanger()
    {
        WriteThreeVersions();

        Assert.Equal([2], _store.History(Web0, changer: Scheduler).Select(v => v.Version));
        Assert.Equal([1, 3], _store.History(Web0, excludeChanger: Scheduler).Select(v => v.Version));
        Assert.Equal([1], _store.History(Web0, changer: Ada).Select(v => v.Version));
        Assert.Empty(_store.History(Web0, changer: "control-loop/nobody"));
        Assert.Empty(_store.History(Web1));
    }

    [Fact]
    public void Version_ReturnsThatVersionsObject_AndNullForAnUnknownVersion()
    {
        WriteThreeVersions();

        var v2 = _store.Version(Web0, 2)!;

        Assert.Equal(Pod(Web0, "nginx:1.25", "node-a"), v2.ObjectJson);
        Assert.Equal(Scheduler, v2.Changer);
        Assert.Equal(Pod(Web0, "nginx:1.25"), _store.Version(Web0, 1)!.ObjectJson);
        Assert.Null(_store.Version(Web0, 4));
        Assert.Null(_store.Version(Web1, 1));
    }

    [Fact]
    public void Deletion_IsAVersion_AndHidesTheObjectFromList()
    {
        _store.ApplyCommit(Applied(C1), External(C1, "ada@example.com", "Add pods", Change(Web0, Pod(Web0, "nginx:1.25"), "*"), Change(Web1, Pod(Web1, "nginx:1.25"), "*")));
        _store.ApplyCommit(Applied(C2), External(C2, "ada@example.com", "Remove web-0", Change(Web0, null, "*")));

        var deleted = _store.Version(Web0, 2)!;
        Assert.True(deleted.Deleted);
        Assert.Null(deleted.ObjectJson);
        var current = _store.Get(Web0)!;
        Assert.True(current.Deleted);
        Assert.Equal(2, current.Version);
        Assert.Equal("apps/web-0.yaml", current.File);
        Assert.Equal(Pod(Web0, "nginx:1.25"), current.ObjectJson); // The last content stays readable.
        Assert.Equal([Web1], _store.List("Pod").Select(o => o.Ref));
        Assert.Equal([Web0, Web1], _store.List("Pod", includeDeleted: true).Select(o => o.Ref));

        _store.ApplyCommit(Applied(C3), External(C3, "ada@example.com", "Bring web-0 back", Change(Web0, Pod(Web0, "nginx:1.27"), "*")));

        Assert.Equal([false, true, false], _store.History(Web0).Select(v => v.Deleted));
        Assert.Equal(3, _store.Get(Web0)!.Version);
        Assert.False(_store.Get(Web0)!.Deleted);
    }

    [Fact]
    public void List_FiltersByKindAndNamespace_InKeyOrder()
    {
        var other = new ObjectRef("Pod", "other", "api-0");
        _store.ApplyCommit(Applied(C1), External(C1, "ada@example.com", "Add",
            Change(Web1, Pod(Web1, "nginx")), Change(Policy, ClusterPolicy(3)), Change(other, Pod(other, "api")), Change(Web0, Pod(Web0, "nginx"))));

        Assert.Equal([Policy, Web0, Web1, other], _store.List().Select(o => o.Ref));
        Assert.Equal([Web0, Web1], _store.List("Pod", "demo").Select(o => o.Ref));
        Assert.Equal([Policy], _store.List("ClusterPolicy").Select(o => o.Ref));
    }

    [Fact]
    public void Data_SurvivesDisposeAndReopen()
    {
        WriteThreeVersions();
        _store.RecordRejected(new CommitRecord(C3, CommitRecord.Rejected, "Bob", "bob@example.com", "bad", Now, Now, [], 0, null));
        _store.SetMeta("mirror", "ok");

        Reopen();

        Assert.Equal([1, 2, 3], _store.History(Web0).Select(v => v.Version));
        Assert.Equal([Ada, Scheduler, Bob], _store.History(Web0).Select(v => v.Changer));
        Assert.Equal(Pod(Web0, "nginx:1.26", "node-a"), _store.Get(Web0)!.ObjectJson);
        Assert.Equal(C2, _store.LastApplied);
        Assert.Equal(CommitRecord.Rejected, _store.FindCommit(C3)!.State);
        Assert.Equal("ok", _store.GetMeta("mirror"));
        Assert.Equal(4, _store.Write(Mechanical("scheduler", C2, "again", Change(Web0, Pod(Web0, "nginx:1.26", "node-b"), "status.nodeName"))));
        Assert.Equal(4, _store.Get(Web0)!.Version);
    }

    [Fact]
    public void Prune_KeepsTheNewestVersions()
    {
        for (var i = 1; i <= 5; i++)
        {
            _store.Write(Mechanical("scheduler", C1, $"v{i}", Change(Web0, Pod(Web0, "nginx", $"node-{i}"), "status.nodeName")));
        }

        _store.Write(Mechanical("scheduler", C1, "other pod", Change(Web1, Pod(Web1, "nginx", "node-a"), "status.nodeName")));

        Assert.Equal(3, _store.Prune(Web0, keep: 2));

        Assert.Equal([4, 5], _store.History(Web0).Select(v => v.Version));
        Assert.Null(_store.Version(Web0, 3));
        Assert.Equal(5, _store.Get(Web0)!.Version);
        Assert.Single(_store.History(Web1));
        Assert.Equal(0, _store.Prune(Web0, keep: 2));
    }

    [Fact]
    public void Prune_AlwaysKeepsTheCurrentVersion()
    {
        for (var i = 1; i <= 3; i++)
        {
            _store.Write(Mechanical("scheduler", C1, $"v{i}", Change(Web0, Pod(Web0, "nginx", $"node-{i}"), "status.nodeName")));
        }

        Assert.Equal(2, _store.Prune(Web0, keep: 0));

        Assert.Equal([3], _store.History(Web0).Select(v => v.Version));
    }

    [Fact]
    public void ReserveBatchIds_MakesLaterIdsLarger_AndNeverLowersThem()
    {
        _store.ReserveBatchIds(41);
        Assert.Equal(42, _store.Write(Mechanical("scheduler", C1, "a", Change(Web0, Pod(Web0, "nginx", "node-a"), "status.nodeName"))));

        _store.ReserveBatchIds(10);
        Assert.Equal(43, _store.Write(Mechanical("scheduler", C1, "b", Change(Web0, Pod(Web0, "nginx", "node-b"), "status.nodeName"))));

        _store.ReserveBatchIds(100);
        Reopen();
        Assert.Equal(101, _store.Write(Mechanical("scheduler", C1, "c", Change(Web0, Pod(Web0, "nginx", "node-c"), "status.nodeName"))));
        Assert.Equal([42L, 43L, 101L], _store.BatchesAfter(0).Select(b => b.Id));
    }

    [Fact]
    public void BatchesAfter_AndVersionsOfBatch_DescribeWhatTheMirrorWrites()
    {
        WriteThreeVersions();
        _store.ApplyCommit(Applied(C3), External(C3, "ada@example.com", "Two at once", Change(Web1, Pod(Web1, "nginx")), Change(Policy, ClusterPolicy(5))));

        var batches = _store.BatchesAfter(2);

        Assert.Equal([3L, 4L], batches.Select(b => b.Id));
        var b4 = batches[1];
        Assert.Equal((Ada, ChangeKind.External, C3, "Two at once", "Ada Lovelace", "ada@example.com", Now), (b4.Changer, b4.Kind, b4.SourceCommit, b4.Message, b4.AuthorName, b4.AuthorEmail, b4.CreatedAt));
        Assert.Equal([Web1, Policy], _store.VersionsOfBatch(4).Select(v => v.Ref));
        Assert.Equal(ClusterPolicy(5), _store.VersionsOfBatch(4)[1].ObjectJson);
        Assert.Equal([1L], _store.BatchesAfter(0, limit: 1).Select(b => b.Id));
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
        WriteThreeVersions();
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
    public void Open_ThrowsStateException_WhenANewerGitorchWroteTheDatabase()
    {
        _store.SetMeta("schema", "3");
        _store.Dispose();

        var ex = Assert.Throws<StateException>(() => HistoryStore.Open(_state.Path, _time));

        Assert.Equal($"the state database {_state.File(HistoryStore.FileName)} was written by a newer gitorch (schema 3, this one knows 2); upgrade gitorch", ex.Message);
        File.Delete(_state.File(HistoryStore.FileName));
        _store = HistoryStore.Open(_state.Path, _time);
    }
}

/// <summary>The controller's state on disk is private: the folder 0700, the database (with its -wal and -shm) and the lock files 0600.</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class StateModesTests : IDisposable
{
    private readonly string _parent = Directory.CreateTempSubdirectory("gitorch-modes-").FullName;

    public void Dispose() => Directory.Delete(_parent, recursive: true);

    private static string Mode(string path) => Convert.ToString((int)File.GetUnixFileMode(path), 8);

    [Fact]
    public void TheStateFolder_IsPrivate_AndSoIsEveryFileInIt()
    {
        var state = Path.Combine(_parent, ".gitorch");
        using var held = StateLock.Acquire(state);
        using (var store = HistoryStore.Open(state))
        {
            store.ApplyCommit(new CommitRecord(new string('a', 40), CommitRecord.Applied, "Ada", "ada@example.com", "first", DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch, [], 0, null), null);

            Assert.Equal("700", Mode(state));
            foreach (var file in new[] { HistoryStore.FileName, HistoryStore.FileName + "-wal", HistoryStore.FileName + "-shm", StateLock.FileName, StateLock.PidFileName })
            {
                Assert.True(File.Exists(Path.Combine(state, file)), $"{file} exists while the store is open");
                Assert.Equal((file, "600"), (file, Mode(Path.Combine(state, file))));
            }
        }
    }

    [Fact]
    public void AnOlderStateFolder_WithOpenModes_IsTightenedOnOpen()
    {
        var state = Directory.CreateDirectory(Path.Combine(_parent, "old")).FullName;
        File.SetUnixFileMode(state, (UnixFileMode)0b111_101_101);
        HistoryStore.Open(state).Dispose();
        File.SetUnixFileMode(Path.Combine(state, HistoryStore.FileName), (UnixFileMode)0b110_100_100);

        HistoryStore.Open(state).Dispose();

        Assert.Equal(("700", "600"), (Mode(state), Mode(Path.Combine(state, HistoryStore.FileName))));
    }
}
