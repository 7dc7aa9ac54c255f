namespace GitOrch.Core.Manifests;

/// <summary>One container (oci) or process (process runtime) of a pod.</summary>
public sealed record Container
{
    public required string Name { get; init; }

    /// <summary>name:tag in the node's image store; optional (a label only) on the process runtime.</summary>
    public string? Image { get; init; }

    public IReadOnlyList<string>? Command { get; init; }

    public IReadOnlyList<string>? Args { get; init; }

    public IReadOnlyDictionary<string, string>? Env { get; init; }

    public string? WorkingDir { get; init; }

    public IReadOnlyList<ContainerPort>? Ports { get; init; }

    public Resources? Resources { get; init; }

    public IReadOnlyList<VolumeMount>? VolumeMounts { get; init; }
}

/// <summary>A named port. On the process runtime a free host port is allocated for it.</summary>
public sealed record ContainerPort
{
    public required string Name { get; init; }

    public int? Port { get; init; }

    public string Protocol { get; init; } = "TCP";
}

/// <summary>What the scheduler reserves for a container.</summary>
public sealed record Resources
{
    /// <summary>CPU as a quantity: "250m", "1", "1.5".</summary>
    public string? Cpu { get; init; }

    /// <summary>Memory as a quantity: "64Mi", "1Gi", "512M".</summary>
    public string? Memory { get; init; }
}

public sealed record VolumeMount
{
    public required string Name { get; init; }

    public required string MountPath { get; init; }

    public bool ReadOnly { get; init; }
}
