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

    /// <summary>
    /// The validation's index of every object's ref, as it stood then: a validation cache brings
    /// one index up to each commit in turn, so it answers for this result only while its
    /// generation is still <see cref="RefsGeneration"/>.
    /// </summary>
    internal RefIndex? Refs { get; init; }

    internal int RefsGeneration { get; init; }

    /// <summary>Whether the commit defines <paramref name="obj"/>: one lookup, no walk over every object (unless the index has moved on).</summary>
    public bool Declares(ObjectRef obj) =>
        Refs is { } refs && refs.Generation == RefsGeneration ? refs.Contains(obj) : Objects.Any(o => o.Ref == obj);

    public bool IsValid => !Diagnostics.Any(d => d.IsError);

    public int ErrorCount => Diagnostics.Count(d => d.IsError);

    public int WarningCount => Diagnostics.Count(d => !d.IsError);
}
