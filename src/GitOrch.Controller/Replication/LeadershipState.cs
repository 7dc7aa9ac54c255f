namespace GitOrch.Controller.Replication;

/// <summary>What one replica knows about the leadership at one moment.</summary>
/// <param name="Role">Leader, follower, or unavailable (etcd cannot be reached or has lost quorum).</param>
/// <param name="Leader">The replica that holds the leader key, when known.</param>
/// <param name="Reason">Why this replica is not leading or cannot tell (shown by <c>status</c>).</param>
/// <param name="Since">When this state began.</param>
public sealed record LeadershipState(ReplicaRole Role, string? Leader, string? Reason, DateTimeOffset Since)
{
    public bool IsLeader => Role == ReplicaRole.Leader;
}
