namespace GitOrch.Core.State;

/// <summary>
/// Where the control plane's writes go before they count. The embedded default has none: a
/// SQLite commit is durable on its own. A replicated control plane (<c>controller --etcd</c>)
/// records every store transaction as one journal entry in etcd, guarded by the leader's term,
/// before the local commit completes; every replica applies the entries in order to its own
/// copy. One writer at a time: <see cref="BeginWrite"/> holds the journal until the write ends.
/// </summary>
public interface IStateJournal
{
    /// <summary>
    /// Starts a journaled write: the index its entry will have. Throws
    /// <see cref="JournalRefusedException"/> when this replica may not write (not the leader,
    /// etcd unreachable), saying who may.
    /// </summary>
    IJournalWrite BeginWrite();
}

/// <summary>One write in progress: its entry's index, held until disposed.</summary>
public interface IJournalWrite : IDisposable
{
    long Index { get; }

    /// <summary>
    /// Records the transaction's statements durably as entry <see cref="Index"/> of
    /// <paramref name="database"/> (a file name in the state folder). False when it could not
    /// (then <see cref="Failure"/> says why and the local transaction must roll back).
    /// </summary>
    bool Append(string database, IReadOnlyList<string> statements);

    /// <summary>Why <see cref="Append"/> failed, or null.</summary>
    JournalRefusedException? Failure { get; }

    /// <summary>The local commit succeeded too: the next write gets the next index.</summary>
    void Complete();
}
