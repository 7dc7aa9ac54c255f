namespace GitOrch.Core.Manifests;

/// <summary>A pod volume: exactly one of emptyDir or hostPath (hostPath is a weakening).</summary>
public sealed record Volume
{
    public required string Name { get; init; }

    public EmptyDirSource? EmptyDir { get; init; }

    public string? HostPath { get; init; }
}

public sealed record EmptyDirSource
{
    /// <summary>Optional size limit as a quantity ("64Mi").</summary>
    public string? SizeLimit { get; init; }
}
