namespace GitOrch.Workflow.Model;

/// <summary>Where a unit of a transaction is.</summary>
public enum UnitState
{
    /// <summary>Not started: ordering predecessors are unfinished, or a retry or requeue is pending.</summary>
    Waiting,

    Running,

    Done,

    /// <summary>Every attempt failed.</summary>
    Failed,

    /// <summary>The last attempt ran past its timeout and was cancelled.</summary>
    TimedOut,

    /// <summary>A unit it requires failed; the cause is named in its message.</summary>
    DependencyFailed,

    /// <summary>Never ran: its transaction was superseded by a newer one.</summary>
    Skipped,
}

/// <summary>Text forms used in the API, the CLI and the store.</summary>
public static class UnitStates
{
    public static string ToText(this UnitState state) => state switch
    {
        UnitState.Waiting => "waiting",
        UnitState.Running => "running",
        UnitState.Done => "done",
        UnitState.Failed => "failed",
        UnitState.TimedOut => "timed-out",
        UnitState.DependencyFailed => "dependency-failed",
        _ => "skipped",
    };

    public static UnitState Parse(string text) => text switch
    {
        "waiting" => UnitState.Waiting,
        "running" => UnitState.Running,
        "done" => UnitState.Done,
        "failed" => UnitState.Failed,
        "timed-out" => UnitState.TimedOut,
        "dependency-failed" => UnitState.DependencyFailed,
        _ => UnitState.Skipped,
    };

    public static bool IsTerminal(this UnitState state) => state is not (UnitState.Waiting or UnitState.Running);

    public static bool IsFailure(this UnitState state) => state is UnitState.Failed or UnitState.TimedOut or UnitState.DependencyFailed;
}
