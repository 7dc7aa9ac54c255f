using GitOrch.Core.Diagnostics;
using GitOrch.Core.Loading;
using GitOrch.Core.Ownership;

namespace GitOrch.Core.Validation;

/// <summary>The outcome of validating a set of manifests.</summary>
public sealed record ValidationResult(
    IReadOnlyList<LoadedObject> Objects,
    IReadOnlyList<Diagnostic> Diagnostics,
    IReadOnlyList<LoopDeclaration> Loops,
    IReadOnlyList<Workflow.UnitDeclaration> Targets)
{
    /// <summary>The objects that are not pods, in order: the few that policy, loops, targets and rollouts read.</summary>
    public required IReadOnlyList<LoadedObject> NotPods { get; init; }

    public bool IsValid => !Diagnostics.Any(d => d.IsError);

    public int ErrorCount => Diagnostics.Count(d => d.IsError);

    public int WarningCount => Diagnostics.Count(d => !d.IsError);
}
