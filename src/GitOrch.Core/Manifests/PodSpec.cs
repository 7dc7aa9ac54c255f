using System.Text.Json.Serialization;

namespace GitOrch.Core.Manifests;

/// <summary>What a pod runs and how it is sandboxed. Shared by Pods and PinnedDeployment templates.</summary>
public sealed record PodSpec
{
    public PodRuntime Runtime { get; init; } = PodRuntime.Oci;

    public RestartPolicy RestartPolicy { get; init; } = RestartPolicy.Always;

    public Availability Availability { get; init; } = Availability.BestEffort;

    public IReadOnlyDictionary<string, string>? NodeSelector { get; init; }

    public int TerminationGracePeriodSeconds { get; init; } = 30;

    public required IReadOnlyList<Container> Containers { get; init; }

    /// <summary>Run one at a time, in order, each to exit 0, before <see cref="Containers"/> start; same fields and sandbox.</summary>
    public IReadOnlyList<Container>? InitContainers { get; init; }

    public IReadOnlyList<Volume>? Volumes { get; init; }

    public PodSecurity? Security { get; init; }
}

public enum PodRuntime
{
    [JsonStringEnumMemberName("oci")]
    Oci,

    [JsonStringEnumMemberName("process")]
    Process,

    /// <summary>The same OCI bundle under gVisor (runsc): a stronger sandbox than oci, needing no exception.</summary>
    [JsonStringEnumMemberName("gvisor")]
    Gvisor,
}

public enum RestartPolicy
{
    Always,
    OnFailure,
    Never,
}

public enum Availability
{
    [JsonStringEnumMemberName("best-effort")]
    BestEffort,

    [JsonStringEnumMemberName("ha")]
    Ha,
}
