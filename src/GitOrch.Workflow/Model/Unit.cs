using GitOrch.Core.Workflow;

namespace GitOrch.Workflow.Model;

/// <summary>
/// One unit of a transaction: a target, or a step (one control loop applied to the transaction's
/// object). Mutable while the transaction runs; the engine guards it with its lock.
/// </summary>
public sealed class Unit
{
    public required string Name { get; init; }

    public required UnitType Type { get; init; }

    /// <summary>The loop that runs the step ("target" for targets).</summary>
    public required string Owner { get; init; }

    /// <summary>Units (in this transaction) that must finish before this one starts.</summary>
    public required IReadOnlyList<string> After { get; init; }

    /// <summary>Units whose failure fails this one.</summary>
    public required IReadOnlyList<string> Requires { get; init; }

    /// <summary>Units pulled in with this one; their failure does not matter.</summary>
    public required IReadOnlyList<string> Wants { get; init; }

    public int TimeoutSeconds { get; init; } = 300;

    public int MaxAttempts { get; init; } = 3;

    public UnitState State { get; set { field = value; Version++; } } = UnitState.Waiting;

    /// <summary>A new, waiting unit with this one's definition (name, type, owner, edges, limits) and none of its state.</summary>
    public Unit Fresh() => new()
    {
        Name = Name,
        Type = Type,
        Owner = Owner,
        After = After,
        Requires = Requires,
        Wants = Wants,
        TimeoutSeconds = TimeoutSeconds,
        MaxAttempts = MaxAttempts,
    };

    public DateTimeOffset? StartedAt { get => FromTicks(_startedAt); set { _startedAt = ToTicks(value); Version++; } }

    public DateTimeOffset? EndedAt { get => FromTicks(_endedAt); set { _endedAt = ToTicks(value); Version++; } }

    /// <summary>When the state last changed (for "how long has it been like this").</summary>
    public DateTimeOffset? Since { get => FromTicks(_since); set { _since = ToTicks(value); Version++; } }

    /// <summary>How many times the step ran (requeues included).</summary>
    public int Attempts { get; set { field = value; Version++; } }

    /// <summary>How many of those runs failed or timed out (bounded by <see cref="MaxAttempts"/>).</summary>
    public int Failures { get; set { field = value; Version++; } }

    public string? Message { get; set { field = value; Version++; } }

    /// <summary>When a pending retry or requeue is due.</summary>
    public DateTimeOffset? NextAttemptAt { get => FromTicks(_nextAttemptAt); set { _nextAttemptAt = ToTicks(value); Version++; } }

    /// <summary>
    /// The "not yet" this engine last logged for the unit while it keeps waiting (kept in memory only,
    /// so the first one after a controller start, or after a leader change, is logged again).
    /// </summary>
    internal string? WaitLogged { get; set; }

    /// <summary>
    /// Set when something the step waits for changed while it ran (kept in memory only): the run may
    /// have read the state from before that change, so a requeue it answers is run again at once
    /// instead of waiting out its delay.
    /// </summary>
    internal bool WokenWhileRunning { get; set; }

    /// <summary>Whether a worker has taken the step up and its runner may be reading state (in memory only).</summary>
    internal bool InRunner { get; set; }

    /// <summary>
    /// Whether the step's last run failed, so that it waits out a retry's backoff, which a wake does
    /// not cut short (in memory only: after a restart a wake may run such a step once early).
    /// </summary>
    internal bool LastRunFailed { get; set; }

    // The times are kept as UTC ticks (NoTime: none): a controller keeps every unit of every active
    // transaction (10,000 pods: about 80,000 units), and a DateTimeOffset? takes 24 bytes.
    private long _startedAt = NoTime;
    private long _endedAt = NoTime;
    private long _since = NoTime;
    private long _nextAttemptAt = NoTime;

    private const long NoTime = -1;

    private static DateTimeOffset? FromTicks(long ticks) => ticks == NoTime ? null : new DateTimeOffset(ticks, TimeSpan.Zero);

    private static long ToTicks(DateTimeOffset? value) => value?.UtcTicks ?? NoTime;

    /// <summary>Counts changes to the unit's state (any set of a property above), so the store can tell whether it has written the latest.</summary>
    internal int Version { get; private set; }

    /// <summary>The <see cref="Version"/> the store last wrote (-1: never written), so that a flush writes only the units that changed.</summary>
    internal int SavedVersion { get; set; } = -1;
}
