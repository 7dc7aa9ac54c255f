namespace GitOrch.Core.Manifests;

/// <summary>The metadata every object carries.</summary>
public sealed record ObjectMeta
{
    public required string Name { get; init; }

    /// <summary>Null in the manifest means <c>default</c> for namespaced kinds.</summary>
    public string? Namespace { get; init; }

    public IReadOnlyDictionary<string, string>? Labels { get; init; }

    public IReadOnlyDictionary<string, string>? Annotations { get; init; }
}
