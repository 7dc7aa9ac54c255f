namespace GitOrch.Controller.Replication;

/// <summary>How a controller joins a replicated control plane (<c>gitorch controller --etcd</c>).</summary>
public sealed record ReplicaOptions
{
    public const string DefaultPrefix = "/gitorch/";

    /// <summary>etcd client URLs.</summary>
    public required IReadOnlyList<string> Endpoints { get; init; }

    /// <summary>This replica's name, unique in the cluster.</summary>
    public required string Name { get; init; }

    /// <summary>The key prefix of the cluster's state in etcd (ends with '/').</summary>
    public string Prefix { get; init; } = DefaultPrefix;

    /// <summary>The leader lease's TTL (2 to 10 s).</summary>
    public TimeSpan LeaseTtl { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Entries between snapshots (after which the older entries leave etcd).</summary>
    public int SnapshotEvery { get; init; } = 1000;

    /// <summary>How often a follower looks for new entries.</summary>
    public TimeSpan FollowInterval { get; init; } = TimeSpan.FromMilliseconds(200);
}
