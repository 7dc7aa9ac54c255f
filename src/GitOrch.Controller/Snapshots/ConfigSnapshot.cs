using GitOrch.Core.Admission;
using GitOrch.Core.Manifests;
using GitOrch.Core.Validation;
using Microsoft.Extensions.Primitives;

namespace GitOrch.Controller.Snapshots;

/// <summary>
/// The last applied commit's objects, immutable: readers take the snapshot of the moment and keep
/// it; a newer commit publishes a new one and fires <see cref="ChangeToken"/>.
/// </summary>
public sealed record ConfigSnapshot(string? Commit, ValidationResult? Result, IChangeToken ChangeToken)
{
    /// <summary>The loops and ClusterPolicy that admission judges writes by.</summary>
    public AdmissionPolicy Admission { get; } = AdmissionPolicy.From(Result);

    public ClusterPolicy? ClusterPolicy => Admission.ClusterPolicy?.Object as ClusterPolicy;

    public IReadOnlyList<Core.Ownership.LoopDeclaration> Loops => Result?.Loops ?? Core.Ownership.BuiltInLoops.All;
}
