namespace GitOrch.Controller.Replication;

/// <summary>One replica's view of the replicas at one moment.</summary>
/// <param name="Self">This replica (its name and the URLs it serves).</param>
/// <param name="Role">This replica's role.</param>
/// <param name="Leader">The leader, when known (with its URLs when it registered them).</param>
/// <param name="Replicas">Every live replica, this one included, by name.</param>
/// <param name="Why">Why this replica does not lead or cannot tell who does ("etcd does not answer ..."); null when all is well.</param>
public sealed record ReplicaView(ReplicaInfo Self, ReplicaRole Role, ReplicaInfo? Leader, IReadOnlyList<ReplicaInfo> Replicas, string? Why)
{
    public bool IsLeader => Role == ReplicaRole.Leader;

    /// <summary>The role of a listed replica as this replica sees it.</summary>
    public ReplicaRole RoleOf(ReplicaInfo replica) =>
        replica.Name == Self.Name ? Role
        : Leader is not null && replica.Name == Leader.Name ? ReplicaRole.Leader
        : ReplicaRole.Follower;

    /// <summary>Why this replica refuses a request that only the leader serves, and where to send it.</summary>
    public string Refusal()
    {
        if (Leader is { } leader && leader.Name != Self.Name)
        {
            var at = leader.ApiUrl is { } url ? $" at {url}" : " (it has not registered its address yet)";
            return $"this replica ({Self.Name}) is a follower; the leader is {leader.Name}{at}; retry there"
                + (Why is not null ? $" ({Why})" : string.Empty);
        }

        return $"this replica ({Self.Name}) is not the leader and no leader is known ({Why ?? "no leader elected yet"}); retry in a few seconds or at another replica";
    }
}
