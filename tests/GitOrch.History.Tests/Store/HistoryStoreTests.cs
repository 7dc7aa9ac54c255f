using GitOrch.History.Store;

namespace GitOrch.History.Tests.Store;

/// <summary>The store's contract on the embedded store (SQLite, one process).</summary>
public sealed class HistoryStoreTests : HistoryStoreContract
{
    protected override HistoryStore Open(string stateDir, TimeProvider time) => HistoryStore.Open(stateDir, time);
}
