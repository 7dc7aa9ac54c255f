using System.Collections.Concurrent;
using GitOrch.Core.Diagnostics;
using GitOrch.Workflow.Execution;
using GitOrch.Workflow.Model;

namespace GitOrch.Workflow.Tests.Support;

/// <summary>A step invocation outside the engine, collecting its log lines.</summary>
internal sealed class Invocations
{
    public ConcurrentQueue<(string Level, string Message)> Logs { get; } = new();

    public StepInvocation Create(string step = "mount")
    {
        var unit = Units.Step(step);
        var transaction = new Transaction { Id = 1, Object = new ObjectRef("Pod", "demo", "web"), Commit = "abc", CreatedAt = DateTimeOffset.UnixEpoch, Units = [unit] };
        return new StepInvocation(transaction, unit, 1, (level, message) => Logs.Enqueue((level, message)));
    }
}
