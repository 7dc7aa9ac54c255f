using GitOrch.Core.Workflow;
using GitOrch.Workflow.Model;

namespace GitOrch.Workflow.Analysis;

/// <summary>One unit as <c>gitorch why</c> shows it.</summary>
public sealed record UnitReport(
    string Name,
    string Type,
    string Owner,
    string State,
    DateTimeOffset? StartedAt,
    DateTimeOffset? EndedAt,
    DateTimeOffset? Since,
    int Attempts,
    int Failures,
    int MaxAttempts,
    string? Message,
    IReadOnlyList<string> After,
    IReadOnlyList<string> Requires,
    IReadOnlyList<string> Wants,
    IReadOnlyList<StepLog> LastLogs,
    DateTimeOffset? NextAttemptAt = null)
{
    public static UnitReport From(Unit u, IReadOnlyList<StepLog> logs) => new(
        u.Name, u.Type == UnitType.Target ? "target" : "step", u.Owner, u.State.ToText(), u.StartedAt, u.EndedAt, u.Since,
        u.Attempts, u.Failures, u.MaxAttempts, u.Message, u.After, u.Requires, u.Wants, logs, u.NextAttemptAt);
}

/// <summary>An object's current transaction, the unit that blocks it, and what waits on that unit.</summary>
public sealed record WorkflowReport(
    string Object,
    long Transaction,
    string? Commit,
    string State,
    DateTimeOffset CreatedAt,
    UnitReport? Blocking,
    IReadOnlyList<string> WaitingOnBlocking,
    IReadOnlyList<UnitReport> Units);
