namespace GitOrch.Core.Manifests;

/// <summary>
/// A rollout as two pinned versions and an explicit percentage. Pods are &lt;name&gt;-&lt;ordinal&gt;;
/// ordinals below nextCount run <see cref="PinnedDeploymentSpec.Next"/>, the rest
/// <see cref="PinnedDeploymentSpec.Previous"/>.
/// </summary>
public sealed record PinnedDeployment : ManifestObject
{
    public required PinnedDeploymentSpec Spec { get; init; }

    public override bool IsNamespaced => true;
}

public sealed record PinnedDeploymentSpec
{
    public required int Replicas { get; init; }

    public required int PercentNext { get; init; }

    public Rounding Rounding { get; init; } = Rounding.Nearest;

    public int MaxUnavailable { get; init; } = 1;

    public required PodTemplate Previous { get; init; }

    public required PodTemplate Next { get; init; }
}

public sealed record PodTemplate
{
    public IReadOnlyDictionary<string, string>? Labels { get; init; }

    public required PodSpec Spec { get; init; }
}

public enum Rounding
{
    Up,
    Down,
    Nearest,
}
