namespace GitOrch.Core.State;

/// <summary>
/// One writer at a time for the stores that share the state file (objects and versions, workflow
/// transactions): SQLite takes one writer anyway, and a writer that meets another's transaction in
/// SQLite sleeps and polls for it, with no order. Here they queue in the process instead, and a
/// config commit (<see cref="Commit"/>) goes first: background writers (workflow starts, step
/// states, loops, pruning) let it pass, so a one-file commit never waits behind the thousands of
/// mechanical writes that follow a large apply. Re-entrant on one thread.
/// </summary>
public sealed class WriteGate
{
    private readonly Lock _lock = new();
    private int _commitsWaiting;

    /// <summary>Whether a commit waits for the gate now.</summary>
    public bool CommitWaiting => Volatile.Read(ref _commitsWaiting) > 0;

    /// <summary>The writer of a config commit (applied or rejected): ahead of every background writer that has not yet entered.</summary>
    public Lock.Scope Commit()
    {
        Interlocked.Increment(ref _commitsWaiting);
        try
        {
            return _lock.EnterScope();
        }
        finally
        {
            Interlocked.Decrement(ref _commitsWaiting);
        }
    }

    /// <summary>
    /// Any other writer (or a reader of the same connection): it waits while a commit waits (a
    /// commit holds the gate for milliseconds). A thread that already holds the gate goes on.
    /// </summary>
    public Lock.Scope Background()
    {
        if (!_lock.IsHeldByCurrentThread)
        {
            while (Volatile.Read(ref _commitsWaiting) > 0)
            {
                Thread.Sleep(1);
            }
        }

        return _lock.EnterScope();
    }
}
