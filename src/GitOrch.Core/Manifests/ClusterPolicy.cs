namespace GitOrch.Core.Manifests;

/// <summary>Cluster-wide rules: security exceptions, rollout approvals, history retention, networking.</summary>
public sealed record ClusterPolicy : ManifestObject
{
    public ClusterPolicySpec Spec { get; init; } = new();

    public override bool IsNamespaced => false;
}

public sealed record ClusterPolicySpec
{
    public SecurityPolicy? Security { get; init; }

    public RolloutPolicy? Rollouts { get; init; }

    public HistoryPolicy? History { get; init; }

    public NetworkPolicy? Network { get; init; }

    public LimitsPolicy? Limits { get; init; }
}

/// <summary>How much input is read (see <see cref="Loading.InputLimits"/>); absent values keep the defaults.</summary>
public sealed record LimitsPolicy
{
    public long? MaxFileBytes { get; init; }

    public long? MaxObjectBytes { get; init; }
}

public sealed record SecurityPolicy
{
    public IReadOnlyList<SecurityException>? Exceptions { get; init; }
}

/// <summary>Weakenings (by exception name) that pods in these namespaces, or these control loops, may ask for.</summary>
public sealed record SecurityException
{
    public IReadOnlyList<string>? Namespaces { get; init; }

    /// <summary>ControlLoop names whose <c>security</c> block may use these weakenings.</summary>
    public IReadOnlyList<string>? Loops { get; init; }

    public required IReadOnlyList<string> Allow { get; init; }
}

public sealed record RolloutPolicy
{
    public int? MaxStepPercent { get; init; }

    public IReadOnlyList<string>? Approvers { get; init; }
}

public sealed record HistoryPolicy
{
    /// <summary>Versions kept per object; null keeps every version.</summary>
    public int? KeepVersions { get; init; }

    public int PinImages { get; init; } = 3;
}

public sealed record NetworkPolicy
{
    /// <summary>The cluster's IPv6 ULA /48; each node gets a /64 of it.</summary>
    public string? PodPrefix { get; init; }

    /// <summary>Whether oci pods get outbound IPv4 through their node's masquerade (never between pods).</summary>
    public bool? Ipv4Egress { get; init; }
}
