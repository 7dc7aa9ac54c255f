namespace GitOrch.Workflow.Tests.Support;

/// <summary>A fact about what happens when the controller runs as root (the exec sandbox drops to uid 65534); skipped otherwise, off CI only.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class RootFactAttribute : FactAttribute
{
    public RootFactAttribute() =>
        Skip = GitOrch.Tests.Shared.RootOnly.SkipReason(GitOrch.Tests.Shared.RootOnly.IsRoot, "skipped: root not available (exec loops change user only when the controller runs as root)");
}
