using GitOrch.Core.Workflow;
using GitOrch.Workflow.Model;

namespace GitOrch.Workflow.Tests.Support;

/// <summary>Builds the units of a transaction by hand, as the planner would.</summary>
internal static class Units
{
    public static Unit Step(
        string name,
        string[]? after = null,
        string[]? requires = null,
        string[]? wants = null,
        int timeoutSeconds = 30,
        int maxAttempts = 1) => new()
        {
            Name = name,
            Type = UnitType.Step,
            Owner = name,
            After = after ?? [],
            Requires = requires ?? [],
            Wants = wants ?? [],
            TimeoutSeconds = timeoutSeconds,
            MaxAttempts = maxAttempts,
        };

    public static Unit Target(string name, string[]? after = null, string[]? requires = null, string[]? wants = null) => new()
    {
        Name = name,
        Type = UnitType.Target,
        Owner = "target",
        After = after ?? [],
        Requires = requires ?? [],
        Wants = wants ?? [],
        TimeoutSeconds = 0,
        MaxAttempts = 1,
    };
}
