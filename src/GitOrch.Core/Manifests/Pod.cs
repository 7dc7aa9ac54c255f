namespace GitOrch.Core.Manifests;

/// <summary>A pod: one or more containers run together on one node, mutable in place.</summary>
public sealed record Pod : ManifestObject
{
    public required PodSpec Spec { get; init; }

    public override bool IsNamespaced => true;
}
