using System.Text.Json.Nodes;
using GitOrch.Core.Validation;
using GitOrch.Workflow.Execution;
using GitOrch.Workflow.Loops;

namespace GitOrch.Controller.Loops;

/// <summary>
/// A control loop that ships with GitOrch. It answers like a loop from Git (fields to set, a
/// message, an optional requeue) and the runner enforces the same ownership rules; failures are
/// <see cref="LoopCallException"/>s with a message that says what to do.
/// </summary>
public interface IBuiltInLoop
{
    string Name { get; }

    ValueTask<LoopAnswer> RunAsync(BuiltInStep step, CancellationToken ct);
}

/// <summary>What a built-in loop gets: the object as it is now, the current config, and the invocation (for logs).</summary>
public sealed record BuiltInStep(Core.Diagnostics.ObjectRef Ref, JsonObject Object, ValidationResult? Config, StepInvocation Invocation)
{
    public static LoopAnswer Set(string message, params (string Path, JsonNode? Value)[] fields) =>
        new(fields.ToDictionary(f => f.Path, f => f.Value), message, null);

    public static LoopAnswer Requeue(TimeSpan after, string message) => new(new Dictionary<string, JsonNode?>(), message, after.TotalSeconds);
}
