namespace GitOrch.Controller.Replication;

/// <summary>
/// A write guarded by the leader's lease was refused by etcd: this replica is no longer the leader
/// (its lease lapsed or another replica took over). Nothing was written.
/// </summary>
public sealed class NotLeaderException(string message) : Exception(message);
