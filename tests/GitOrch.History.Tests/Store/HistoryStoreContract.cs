using System.Text;
using GitOrch.Core.Diagnostics;
using GitOrch.History.Store;
using GitOrch.History.Tests.Support;
using static GitOrch.History.Tests.Support.Objects;

namespace GitOrch.History.Tests.Store;

/// <summary>
/// The store's contract. It runs on the embedded store (<see cref="HistoryStoreTests"/>) and, in
/// the controller's tests, on the replicated store (every write journaled in etcd, and a second
/// copy rebuilt from the journal compared with the first after each test).
/// </summary>
public abstract class HistoryStoreContract : IDisposable
{
    private static readonly DateTimeOffset Now = new(2024, 5, 6, 7, 8, 9, TimeSpan.Zero);
    private static readonly string C1 = new('1', 40);
    private static readonly string C2 = new('2', 40);
    private static readonly string C3 = new('3', 40);

    private readonly TempFolder _state = new();
    private readonly FixedTime _time = new(Now);
    private HistoryStore? _opened;

    /// <summary>The state folder of the store under test.</summary>
    protected string StatePath => _state.Path;

    private HistoryStore Store
    {
        get => _opened ??= Open(_state.Path, _time);
        set => _opened = value;
    }

    /// <summary>Opens the store under test.</summary>
    protected abstract HistoryStore Open(string stateDir, TimeProvider time);

    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    protected virtual void Dispose(bool disposing)
    {
        _opened?.Dispose();
        _opened = null;
        if (disposing)
        {
            AfterTest();
        }

        _state.Dispose();
    }

    /// <summary>Checks run after each test with the store closed and its folder still there.</summary>
    protected virtual void AfterTest()
    {
    }

    private void Reopen()
    {
        Store.Dispose();
        Store = Open(_state.Path, _time);
    }

    /// <summary>Version 1 by Ada's commit, version 2 by the scheduler, version 3 by Bob's commit.</summary>
    private void WriteThreeVersions() => WriteThreeVersions(Store);

    public static void WriteThreeVersions(HistoryStore store)
    {
        Assert.Equal(1, store.ApplyCommit(Applied(C1), External(C1, "ada@example.com", "Add web", Change(Web0, Pod(Web0, "nginx:1.25"), "*"))));
        Assert.Equal(2, store.Write(Mechanical("scheduler", C1, "scheduler: place Pod demo/web-0 on node-a", Change(Web0, Pod(Web0, "nginx:1.25", "node-a"), "status.nodeName"))));
        Assert.Equal(3, store.ApplyCommit(Applied(C2, "bob@example.com"), External(C2, "bob@example.com", "Bump web", Change(Web0, Pod(Web0, "nginx:1.26", "node-a"), "spec.containers[0].image"))));
    }

    [Fact]
    public void ListAndWatch_GivesTheLiveObjectsOfAKind_ThenEveryCommittedWriteInOrder()
    {
        Assert.Equal(1, Store.ApplyCommit(Applied(C1), External(C1, "ada@example.com", "Add web", Change(Web0, Pod(Web0, "nginx:1.25"), "*"), Change(Policy, ClusterPolicy(5), "*"))));
        var seen = new List<(ObjectRef Ref, string? Json)>();

        var live = Store.ListAndWatch("Pod", written => seen.AddRange(written.Select(w => (w.Ref, w.ObjectJson))));
        Store.Write(Mechanical("scheduler", C1, "place", Change(Web0, Pod(Web0, "nginx:1.25", "node-a"), "status.nodeName")));
        Store.ApplyCommit(Applied(C2), External(C2, "ada@example.com", "Web 1, web 0 goes", Change(Web1, Pod(Web1, "nginx:1.25"), "*"), Change(Web0, null, "*")));

        Assert.Equal([Web0], live.Select(o => o.Ref));
        Assert.Equal([(Web0, Pod(Web0, "nginx:1.25", "node-a")), (Web1, Pod(Web1, "nginx:1.25")), (Web0, (string?)null)], seen);
    }

    [Fact]
    public void ARefusedWrite_TellsTheWatchersNothing_AndUnwatchStopsTheCalls()
    {
        Store.ApplyCommit(Applied(C1), External(C1, "ada@example.com", "Add web", Change(Web0, Pod(Web0, "nginx:1.25"), "*")));
        var calls = 0;
        void Count(IReadOnlyList<WrittenObject> written) => calls++;
        Store.ListAndWatch("Pod", Count);

        var refusal = Diagnostic.Error(new SourceLocation("objects/Pod/demo/web-0.yaml", 1, 1), "GO2001", "refused", Web0);
        Assert.Equal(0, Store.Write(Mechanical("scheduler", C1, "place", Change(Web0, Pod(Web0, "nginx:1.25", "node-a"), "status.nodeName")), (_, _, _) => [refusal], out _));
        Assert.Equal(0, calls);
        Store.Write(Mechanical("scheduler", C1, "place", Change(Web0, Pod(Web0, "nginx:1.25", "node-a"), "status.nodeName")));
        Assert.Equal(1, calls);
        Store.Unwatch(Count);
        Store.Write(Mechanical("scheduler", C1, "place", Change(Web0, Pod(Web0, "nginx:1.25", "node-b"), "status.nodeName")));

        Assert.Equal(1, calls);
    }

    [Fact]
    public void ApplyCommit_AndWrite_RecordVersions_WithChangerKindSourceAndFields()
    {
        WriteThreeVersions();

        var history = Store.History(Web0);

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

        var current = Store.Get(Web0)!;
        Assert.Equal(3, current.Version);
        Assert.False(current.Deleted);
        Assert.Equal(Bob, current.LastChanger);
        Assert.Equal("apps/web-0.yaml", current.File);
        Assert.Equal(Pod(Web0, "nginx:1.26", "node-a"), current.ObjectJson);
        Assert.Equal(Now, current.UpdatedAt);
        Assert.Equal(C2, Store.LastApplied);
        Assert.Equal(1, Store.FindCommit(C1)!.ObjectsChanged);
        Assert.Equal(CommitRecord.Applied, Store.FindCommit(C2)!.State);
        Assert.Equal([C2, C1], Store.Commits().Select(c => c.Sha));
    }

    [Fact]
    public void ApplyCommit_WithoutChanges_RecordsTheCommit_AndNoBatch()
    {
        Assert.Equal(0, Store.ApplyCommit(Applied(C1), null));
        Assert.Equal(0, Store.ApplyCommit(Applied(C2), External(C2, "ada@example.com", "nothing")));

        Assert.Equal(C2, Store.LastApplied);
        Assert.Empty(Store.BatchesAfter(0));
        Assert.Equal(0, Store.FindCommit(C2)!.ObjectsChanged);
    }

    [Fact]
    public void RecordRejected_ChangesNoObject_AndKeepsTheDiagnostics()
    {
        Store.ApplyCommit(Applied(C1), External(C1, "ada@example.com", "Add web", Change(Web0, Pod(Web0, "nginx:1.25"), "*")));
        var diagnostic = Diagnostic.Error(new SourceLocation("apps/web-0.yaml", 7, 14), DiagnosticCodes.WrongType, "spec.containers[0].image of Pod demo/web-0 must be a string; quote it", Web0);
        var rejected = new CommitRecord(C2, CommitRecord.Rejected, "Bob Builder", "bob@example.com", "break web", Now, Now, [diagnostic], 0, "1 error");

        Store.RecordRejected(rejected);

        Assert.Equal(C1, Store.LastApplied);
        Assert.Equal(1, Store.Get(Web0)!.Version);
        Assert.Single(Store.History(Web0));
        Assert.Equal([1L], Store.BatchesAfter(0).Select(b => b.Id));
        var stored = Store.FindCommit(C2)!;
        Assert.Equal(CommitRecord.Rejected, stored.State);
        Assert.Equal("1 error", stored.Note);
        Assert.Equal([diagnostic], stored.Diagnostics);
        Assert.Equal([C2, C1], Store.Commits().Select(c => c.Sha));
    }

    [Fact]
    public void History_FiltersByChanger_AndExcludingAChanger()
    {
        WriteThreeVersions();

        Assert.Equal([2], Store.History(Web0, changer: Scheduler).Select(v => v.Version));
        Assert.Equal([1, 3], Store.History(Web0, excludeChanger: Scheduler).Select(v => v.Version));
        Assert.Equal([1], Store.History(Web0, changer: Ada).Select(v => v.Version));
        Assert.Empty(Store.History(Web0, changer: "control-loop/nobody"));
        Assert.Empty(Store.History(Web1));
    }

    [Fact]
    public void Version_ReturnsThatVersionsObject_AndNullForAnUnknownVersion()
    {
        WriteThreeVersions();

        var v2 = Store.Version(Web0, 2)!;

        Assert.Equal(Pod(Web0, "nginx:1.25", "node-a"), v2.ObjectJson);
        Assert.Equal(Scheduler, v2.Changer);
        Assert.Equal(Pod(Web0, "nginx:1.25"), Store.Version(Web0, 1)!.ObjectJson);
        Assert.Null(Store.Version(Web0, 4));
        Assert.Null(Store.Version(Web1, 1));
    }

    [Fact]
    public void Deletion_IsAVersion_AndHidesTheObjectFromList()
    {
        Store.ApplyCommit(Applied(C1), External(C1, "ada@example.com", "Add pods", Change(Web0, Pod(Web0, "nginx:1.25"), "*"), Change(Web1, Pod(Web1, "nginx:1.25"), "*")));
        Store.ApplyCommit(Applied(C2), External(C2, "ada@example.com", "Remove web-0", Change(Web0, null, "*")));

        var deleted = Store.Version(Web0, 2)!;
        Assert.True(deleted.Deleted);
        Assert.Null(deleted.ObjectJson);
        var current = Store.Get(Web0)!;
        Assert.True(current.Deleted);
        Assert.Equal(2, current.Version);
        Assert.Equal("apps/web-0.yaml", current.File);
        Assert.Equal(Pod(Web0, "nginx:1.25"), current.ObjectJson); // The last content stays readable.
        Assert.Equal([Web1], Store.List("Pod").Select(o => o.Ref));
        Assert.Equal([Web0, Web1], Store.List("Pod", includeDeleted: true).Select(o => o.Ref));

        Store.ApplyCommit(Applied(C3), External(C3, "ada@example.com", "Bring web-0 back", Change(Web0, Pod(Web0, "nginx:1.27"), "*")));

        Assert.Equal([false, true, false], Store.History(Web0).Select(v => v.Deleted));
        Assert.Equal(3, Store.Get(Web0)!.Version);
        Assert.False(Store.Get(Web0)!.Deleted);
    }

    [Fact]
    public void GetMany_ReadsWhatGetReads_ForEachObjectThatWasEverStored()
    {
        var absent = new ObjectRef("Pod", "demo", "never-stored");
        Store.ApplyCommit(Applied(C1), External(C1, "ada@example.com", "Add pods", Change(Web0, Pod(Web0, "nginx:1.25"), "*"), Change(Web1, Pod(Web1, "nginx:1.25"), "*")));
        Store.ApplyCommit(Applied(C2), External(C2, "ada@example.com", "Remove web-0", Change(Web0, null, "*")));

        var many = Store.GetMany([Web1, absent, Web0]);

        Assert.Equal([Web0, Web1], many.Keys.OrderBy(r => r.Name, StringComparer.Ordinal));
        Assert.Equal(Store.Get(Web0), many[Web0]);
        Assert.Equal(Store.Get(Web1), many[Web1]);

        Assert.True(many[Web0].Deleted);
        Assert.Empty(Store.GetMany([]));
    }

    [Fact]
    public void List_FiltersByKindAndNamespace_InKeyOrder()
    {
        var other = new ObjectRef("Pod", "other", "api-0");
        Store.ApplyCommit(Applied(C1), External(C1, "ada@example.com", "Add",
            Change(Web1, Pod(Web1, "nginx")), Change(Policy, ClusterPolicy(3)), Change(other, Pod(other, "api")), Change(Web0, Pod(Web0, "nginx"))));

        Assert.Equal([Policy, Web0, Web1, other], Store.List().Select(o => o.Ref));
        Assert.Equal([Web0, Web1], Store.List("Pod", "demo").Select(o => o.Ref));
        Assert.Equal([Policy], Store.List("ClusterPolicy").Select(o => o.Ref));
    }

    [Fact]
    public void Data_SurvivesDisposeAndReopen()
    {
        WriteThreeVersions();
        Store.RecordRejected(new CommitRecord(C3, CommitRecord.Rejected, "Bob", "bob@example.com", "bad", Now, Now, [], 0, null));
        Store.SetMeta("mirror", "ok");

        Reopen();

        Assert.Equal([1, 2, 3], Store.History(Web0).Select(v => v.Version));
        Assert.Equal([Ada, Scheduler, Bob], Store.History(Web0).Select(v => v.Changer));
        Assert.Equal(Pod(Web0, "nginx:1.26", "node-a"), Store.Get(Web0)!.ObjectJson);
        Assert.Equal(C2, Store.LastApplied);
        Assert.Equal(CommitRecord.Rejected, Store.FindCommit(C3)!.State);
        Assert.Equal("ok", Store.GetMeta("mirror"));
        Assert.Equal(4, Store.Write(Mechanical("scheduler", C2, "again", Change(Web0, Pod(Web0, "nginx:1.26", "node-b"), "status.nodeName"))));
        Assert.Equal(4, Store.Get(Web0)!.Version);
    }

    [Fact]
    public void Prune_KeepsTheNewestVersions()
    {
        for (var i = 1; i <= 5; i++)
        {
            Store.Write(Mechanical("scheduler", C1, $"v{i}", Change(Web0, Pod(Web0, "nginx", $"node-{i}"), "status.nodeName")));
        }

        Store.Write(Mechanical("scheduler", C1, "other pod", Change(Web1, Pod(Web1, "nginx", "node-a"), "status.nodeName")));

        Assert.Equal(3, Store.Prune(Web0, keep: 2));

        Assert.Equal([4, 5], Store.History(Web0).Select(v => v.Version));
        Assert.Null(Store.Version(Web0, 3));
        Assert.Equal(5, Store.Get(Web0)!.Version);
        Assert.Single(Store.History(Web1));
        Assert.Equal(0, Store.Prune(Web0, keep: 2));
    }

    [Fact]
    public void Prune_AlwaysKeepsTheCurrentVersion()
    {
        for (var i = 1; i <= 3; i++)
        {
            Store.Write(Mechanical("scheduler", C1, $"v{i}", Change(Web0, Pod(Web0, "nginx", $"node-{i}"), "status.nodeName")));
        }

        Assert.Equal(2, Store.Prune(Web0, keep: 0));

        Assert.Equal([3], Store.History(Web0).Select(v => v.Version));
    }

    [Fact]
    public void ReserveBatchIds_MakesLaterIdsLarger_AndNeverLowersThem()
    {
        Store.ReserveBatchIds(41);
        Assert.Equal(42, Store.Write(Mechanical("scheduler", C1, "a", Change(Web0, Pod(Web0, "nginx", "node-a"), "status.nodeName"))));

        Store.ReserveBatchIds(10);
        Assert.Equal(43, Store.Write(Mechanical("scheduler", C1, "b", Change(Web0, Pod(Web0, "nginx", "node-b"), "status.nodeName"))));

        Store.ReserveBatchIds(100);
        Reopen();
        Assert.Equal(101, Store.Write(Mechanical("scheduler", C1, "c", Change(Web0, Pod(Web0, "nginx", "node-c"), "status.nodeName"))));
        Assert.Equal([42L, 43L, 101L], Store.BatchesAfter(0).Select(b => b.Id));
    }

    [Fact]
    public void BatchesAfter_AndVersionsOfBatch_DescribeWhatTheMirrorWrites()
    {
        WriteThreeVersions();
        Store.ApplyCommit(Applied(C3), External(C3, "ada@example.com", "Two at once", Change(Web1, Pod(Web1, "nginx")), Change(Policy, ClusterPolicy(5))));

        var batches = Store.BatchesAfter(2);

        Assert.Equal([3L, 4L], batches.Select(b => b.Id));
        var b4 = batches[1];
        Assert.Equal((Ada, ChangeKind.External, C3, "Two at once", "Ada Lovelace", "ada@example.com", Now), (b4.Changer, b4.Kind, b4.SourceCommit, b4.Message, b4.AuthorName, b4.AuthorEmail, b4.CreatedAt));
        Assert.Equal([Web1, Policy], Store.VersionsOfBatch(4).Select(v => v.Ref));
        Assert.Equal(ClusterPolicy(5), Store.VersionsOfBatch(4)[1].ObjectJson);
        Assert.Equal([1L], Store.BatchesAfter(0, limit: 1).Select(b => b.Id));

        // Without objects (the mirror's commit message), and streamed one by one (its files): the same versions.
        var listed = Store.VersionsOfBatch(4, withObjects: false);
        Assert.Equal(Store.VersionsOfBatch(4).Select(v => (v.Ref, v.Version, v.Batch, v.Deleted, string.Join(',', v.Fields))), listed.Select(v => (v.Ref, v.Version, v.Batch, v.Deleted, string.Join(',', v.Fields))));
        Assert.All(listed, v => Assert.Null(v.ObjectJson));
        Assert.Equal(Store.VersionsOfBatch(4).Select(v => v.ObjectJson), Store.StreamVersionsOfBatch(4).Select(v => v.ObjectJson));
        Assert.Empty(Store.StreamVersionsOfBatch(99));
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
