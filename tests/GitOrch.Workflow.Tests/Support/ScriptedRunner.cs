using System.Collections.Concurrent;
using GitOrch.Workflow.Execution;
using GitOrch.Workflow.Model;

namespace GitOrch.Workflow.Tests.Support;

/// <summary>
/// A real <see cref="IStepRunner"/> whose loops are scripts written in the test: unit name → what
/// the loop does. It records every call: which unit started, in what order, and which units of
/// the transaction had finished at that moment.
/// </summary>
internal sealed class ScriptedRunner : IStepRunner
{
    private readonly Dictionary<string, Func<StepInvocation, CancellationToken, Task<StepOutcome>>> _loops = new(StringComparer.Ordinal);

    public ConcurrentQueue<string> Started { get; } = new();

    /// <summary>For each call: the unit, and the units of its transaction that were finished when it started.</summary>
    public ConcurrentQueue<(string Unit, string[] FinishedBefore)> Calls { get; } = new();

    public ScriptedRunner On(string unit, Func<StepInvocation, CancellationToken, Task<StepOutcome>> loop)
    {
        _loops[unit] = loop;
        return this;
    }

    public ScriptedRunner On(string unit, Func<StepOutcome> loop) => On(unit, (_, _) => Task.FromResult(loop()));

    public int CallsOf(string unit) => Started.Count(s => s == unit);

    public async ValueTask<StepOutcome> RunAsync(StepInvocation invocation, CancellationToken ct)
    {
        var name = invocation.Unit.Name;
        Calls.Enqueue((name, invocation.Transaction.Units.Where(u => u.State.IsTerminal()).Select(u => u.Name).ToArray()));
        Started.Enqueue(name);
        if (!_loops.TryGetValue(name, out var loop))
        {
            throw new InvalidOperationException($"the test scripted no loop for unit {name}");
        }

        return await loop(invocation, ct);
    }

    /// <summary>A loop that runs until it is cancelled and reports the cancellation.</summary>
    public static Func<StepInvocation, CancellationToken, Task<StepOutcome>> UntilCancelled(TaskCompletionSource? started = null, TaskCompletionSource? cancelled = null) =>
        async (_, ct) =>
        {
            started?.TrySetResult();
            try
            {
                await Task.Delay(Timeout.Infinite, ct);
            }
            catch (OperationCanceledException)
            {
                cancelled?.TrySetResult();
                throw;
            }

            return StepOutcome.Done("unreachable");
        };
}
