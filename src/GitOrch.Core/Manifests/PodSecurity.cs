using System.Text.Json.Serialization;

namespace GitOrch.Core.Manifests;

/// <summary>
/// The pod's requests to weaken its sandbox. Empty (or absent) means the maximum sandbox; each
/// weakening also needs a ClusterPolicy exception for the pod's namespace.
/// </summary>
public sealed record PodSecurity
{
    public long? RunAsUser { get; init; }

    public long? RunAsGroup { get; init; }

    public bool? AllowPrivilegeEscalation { get; init; }

    public IReadOnlyList<string>? Capabilities { get; init; }

    public SeccompMode? Seccomp { get; init; }

    public bool? HostUsers { get; init; }

    public bool? ReadOnlyRootFilesystem { get; init; }

    public bool? HostNetwork { get; init; }

    public bool? HostPID { get; init; }

    public bool? HostIPC { get; init; }

    public bool? Privileged { get; init; }

    public IReadOnlyList<string>? Devices { get; init; }

    public IReadOnlyDictionary<string, string>? Sysctls { get; init; }

    public ProcMountMode? ProcMount { get; init; }
}

public enum SeccompMode
{
    RuntimeDefault,
    Unconfined,
}

public enum ProcMountMode
{
    [JsonStringEnumMemberName("Default")]
    Default,

    [JsonStringEnumMemberName("Unmasked")]
    Unmasked,
}
