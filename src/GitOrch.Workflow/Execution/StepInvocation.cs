using GitOrch.Workflow.Model;

namespace GitOrch.Workflow.Execution;

/// <summary>One run of one step: which transaction and unit, which attempt, and where its log lines go.</summary>
public sealed class StepInvocation(Transaction transaction, Unit unit, int attempt, Action<string, string> log)
{
    public Transaction Transaction { get; } = transaction;

    public Unit Unit { get; } = unit;

    public int Attempt { get; } = attempt;

    /// <summary>Writes a structured log line (level, message) tagged with the object, step and commit.</summary>
    public void Log(string level, string message) => log(level, message);
}
