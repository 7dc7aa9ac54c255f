using GitOrch.History.Store;

namespace GitOrch.Controller.State;

/// <summary>
/// Notices when the state folder under a running controller is removed, moved or replaced: the
/// lock file this process holds open must still be the file at its path, and the database must
/// still be there. Writing on would write into a deleted database (lost on exit) or let a second
/// controller start on the same folder, so the controller stops instead.
/// </summary>
public sealed class StateGuard(string stateDir, StateLock held)
{
    private readonly string? _lockPath = held.OpenPath(); // As the kernel names it (symlinks resolved).
    private readonly string _dbPath = Path.GetFullPath(Path.Combine(stateDir, HistoryStore.FileName));

    public string StateDir { get; } = Path.GetFullPath(stateDir);

    /// <summary>Null while the folder is the one this process opened; otherwise what happened to it.</summary>
    public string? Problem()
    {
        if (!Directory.Exists(StateDir))
        {
            return $"the state folder {StateDir} was removed while the controller was running";
        }

        if (_lockPath is not null && held.OpenPath() is { } open && open != _lockPath)
        {
            return open.EndsWith(" (deleted)", StringComparison.Ordinal)
                ? $"the state folder {StateDir} was removed or replaced while the controller was running (its lock file is gone)"
                : $"the state folder {StateDir} was moved to {Path.GetDirectoryName(open)} while the controller was running";
        }

        return File.Exists(_dbPath) ? null : $"the state database {_dbPath} was removed while the controller was running";
    }

    /// <summary>Throws a <see cref="StateException"/> naming what happened, and what to do.</summary>
    public void Check()
    {
        if (Problem() is { } problem)
        {
            throw new StateException($"{problem}; the controller stops rather than write into a deleted database. Restore the folder (or start with an empty one: objects are re-applied from Git, earlier versions stay in refs/gitorch/history) and start the controller again");
        }
    }
}
