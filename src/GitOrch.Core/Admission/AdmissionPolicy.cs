using GitOrch.Core.Loading;
using GitOrch.Core.Manifests;
using GitOrch.Core.Ownership;
using GitOrch.Core.Validation;

namespace GitOrch.Core.Admission;

/// <summary>
/// What admission judges a write by: the registry of loops (who owns which field) and the
/// ClusterPolicy (security exceptions, limits), both from the last applied commit.
/// </summary>
public sealed record AdmissionPolicy(IReadOnlyList<LoopDeclaration> Loops, LoadedObject? ClusterPolicy)
{
    /// <summary>Before any commit is applied: the built-in loops and no exceptions.</summary>
    public static AdmissionPolicy Default { get; } = new(BuiltInLoops.All, null);

    /// <summary>The policy of an applied commit (its loops and its ClusterPolicy).</summary>
    public static AdmissionPolicy From(ValidationResult? applied) =>
        applied is null
            ? Default
            : new(applied.Loops, applied.NotPods.FirstOrDefault(o => o.Object is ClusterPolicy)); // not a walk over every pod
}
