namespace GitOrch.Workflow.Execution;

/// <summary>Runs a step's loop for the transaction's object. The controller supplies it (built-in and Git loops).</summary>
public interface IStepRunner
{
    /// <summary>Runs one attempt. Cancellation means timeout or supersession; any exception is a failed attempt.</summary>
    ValueTask<StepOutcome> RunAsync(StepInvocation invocation, CancellationToken ct);
}
