using GitOrch.History.Store;
using GitOrch.History.Tests.Store;

namespace GitOrch.Controller.Tests.Replication;

/// <summary>
/// The store's contract (<see cref="HistoryStoreContract"/>) on the replicated store: every write
/// is journaled in a real etcd member under a leader's term; after each test a second copy is
/// rebuilt from etcd alone and must hold exactly the same rows.
/// </summary>
public sealed class EtcdHistoryStoreTests : HistoryStoreContract, IClassFixture<EtcdMember>
{
    private readonly JournalHarness _journal;

    public EtcdHistoryStoreTests(EtcdMember etcd) =>
        _journal = JournalHarness.StartAsync(etcd.Endpoints, StatePath).GetAwaiter().GetResult();

    protected override HistoryStore Open(string stateDir, TimeProvider time) => HistoryStore.Open(stateDir, time, _journal.Journal);

    protected override void AfterTest()
    {
        try
        {
            _journal.AssertCopyEquals(StatePath);
        }
        finally
        {
            _journal.Dispose();
        }
    }
}
