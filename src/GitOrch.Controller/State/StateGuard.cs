using GitOrch.History.Store;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace GitOrch.Controller.State;

/// <summary>
/// Notices when the state folder under a running controller is removed, moved or replaced: the
/// lock file this process holds open must still be the file at its path, and the database must
/// still be there. Writing on would write into a deleted database (lost on exit) or let a second
/// controller start on the same folder, so the controller stops instead (<see cref="Stopped"/>).
/// Every service that meets a storage error asks <see cref="StopIfGone"/> first: the error is then
/// only a symptom, and the operator reads one message saying what happened and what to do, not a
/// stack trace from whichever service noticed first.
/// </summary>
public sealed partial class StateGuard(string stateDir, StateLock held, ILogger<StateGuard>? log = null)
{
    private readonly string? _lockPath = held.OpenPath(); // As the kernel names it (symlinks resolved).
    private readonly string _dbPath = Path.GetFullPath(Path.Combine(stateDir, HistoryStore.FileName));
    private readonly TaskCompletionSource _stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly ILogger _log = log ?? NullLogger<StateGuard>.Instance;

    public string StateDir { get; } = Path.GetFullPath(stateDir);

    /// <summary>Faults (with a <see cref="StateException"/>) once the state folder is found gone: the process must stop.</summary>
    public Task Stopped => _stopped.Task;

    /// <summary>The message the controller stopped with, or null while it runs.</summary>
    public string? StopReason => _stopped.Task.Exception?.InnerException?.Message;

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
            throw Explain(problem);
        }
    }

    /// <summary>
    /// Stops the controller when the state folder is gone, and says so once; returns whether it
    /// did. A caller holding a storage error (a disk I/O error from the deleted database) asks this
    /// before reporting it as its own failure.
    /// </summary>
    public bool StopIfGone()
    {
        if (Problem() is not { } problem)
        {
            return false;
        }

        Stop(Explain(problem));
        return true;
    }

    /// <summary>Stops the controller with <paramref name="why"/> (logged once, without a stack trace: the message is complete).</summary>
    public void Stop(StateException why)
    {
        if (_stopped.TrySetException(why))
        {
            LogStateGone(_log, why.Message);
        }
    }

    /// <summary>
    /// Stops the controller because one of its services ended on an error it did not handle (a
    /// bug): logged with its stack trace, since the message alone does not say where. Running on
    /// without the service would hide it: no commit applied, no mirror written, and nothing said.
    /// </summary>
    public void Crashed(string service, Exception error)
    {
        var why = new StateException(
            $"the controller's {service} stopped on an unexpected error ({error.Message}); the controller stops rather than run without it. Start it again; the log above has the details");
        if (_stopped.TrySetException(why))
        {
            LogCrashed(_log, error, service);
        }
    }

    private static StateException Explain(string problem) =>
        new($"{problem}; the controller stops rather than write into a deleted database. Restore the folder (or start with an empty one: objects are re-applied from Git, earlier versions stay in refs/gitorch/history) and start the controller again");

    [LoggerMessage(Level = LogLevel.Critical, Message = "{Reason}")]
    private static partial void LogStateGone(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Critical, Message = "The controller's {Service} stopped on an unexpected error; the controller stops")]
    private static partial void LogCrashed(ILogger logger, Exception ex, string service);
}
