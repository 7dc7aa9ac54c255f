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

    public UnitState State { get; set; } = UnitState.Waiting;

    public DateTimeOffset? StartedAt { get; set; }

    public DateTimeOffset? EndedAt { get; set; }

    /// <summary>When the state last changed (for "how long has it been like this").</summary>
    public DateTimeOffset? Since { get; set; }

    /// <summary>How many times the step ran (requeues included).</summary>
    public int Attempts { get; set; }

    /// <summary>How many of those runs failed or timed out (bounded by <see cref="MaxAttempts"/>).</summary>
    public int Failures { get; set; }

    public string? Message { get; set; }

    /// <summary>When a pending retry or requeue is due.</summary>
    public DateTimeOffset? NextAttemptAt { get; set; }

    /// <summary>The state as the store last wrote it (null: never written), so that a flush writes only the units that changed.</summary>
    internal UnitRow? Saved { get; set; }

    /// <summary>The state the store keeps of this unit, as it is now.</summary>
    internal UnitRow Row => new(State, StartedAt, EndedAt, Since, Attempts, Failures, Message, NextAttemptAt);
}

/// <summary>The changing part of a unit's stored row.</summary>
internal readonly record struct UnitRow(
    UnitState State, DateTimeOffset? StartedAt, DateTimeOffset? EndedAt, DateTimeOffset? Since, int Attempts, int Failures, string? Message, DateTimeOffset? NextAttemptAt);
