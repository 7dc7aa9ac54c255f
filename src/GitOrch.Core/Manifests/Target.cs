namespace GitOrch.Core.Manifests;

/// <summary>A synchronisation point in the workflow graph, like a systemd target.</summary>
public sealed record Target : ManifestObject
{
    public TargetSpec Spec { get; init; } = new();

    public override bool IsNamespaced => false;
}

public sealed record TargetSpec
{
    public string? Description { get; init; }

    public IReadOnlyList<string>? After { get; init; }

    public IReadOnlyList<string>? Before { get; init; }

    public IReadOnlyList<string>? Requires { get; init; }

    public IReadOnlyList<string>? Wants { get; init; }
}
