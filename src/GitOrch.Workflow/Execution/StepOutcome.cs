namespace GitOrch.Workflow.Execution;

/// <summary>How a step ended: done, failed, or "not yet, call me again after a delay".</summary>
public sealed record StepOutcome(StepOutcomeKind Kind, string Message, TimeSpan? RequeueAfter = null)
{
    public static StepOutcome Done(string message) => new(StepOutcomeKind.Done, message);

    public static StepOutcome Failed(string message) => new(StepOutcomeKind.Failed, message);

    public static StepOutcome Requeue(TimeSpan after, string message) => new(StepOutcomeKind.Requeue, message, after);
}

public enum StepOutcomeKind
{
    Done,
    Failed,
    Requeue,
}
