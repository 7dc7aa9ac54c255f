using GitOrch.Workflow.Execution;

namespace GitOrch.Workflow.Tests.Support;

/// <summary>Loops for <see cref="ScriptedRunner"/> and small helpers shared by the engine tests.</summary>
internal static class Steps
{
    public static TaskCompletionSource Signal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>A loop that yields once, then is done.</summary>
    public static Func<StepInvocation, CancellationToken, Task<StepOutcome>> Yielding(string message) =>
        async (_, _) =>
        {
            await Task.Yield();
            return StepOutcome.Done(message);
        };

    /// <summary>A loop that is done once the gate opens (and is cancellable meanwhile).</summary>
    public static Func<StepInvocation, CancellationToken, Task<StepOutcome>> Gated(TaskCompletionSource gate, string message, TaskCompletionSource? started = null) =>
        async (_, ct) =>
        {
            started?.TrySetResult();
            await gate.Task.WaitAsync(ct);
            return StepOutcome.Done(message);
        };

    /// <summary>The log lines of one step of the harness's pod, as "level message".</summary>
    public static IReadOnlyList<string> LogsOf(EngineHarness h, string step) =>
        h.Engine.Logs(EngineHarness.Pod).Where(l => l.Step == step).Select(l => $"{l.Level} {l.Message}").ToList();
}
