namespace GitOrch.Controller.Replication;

/// <summary>
/// The role of a replica of the control plane on etcd, read from its <see cref="LeaderElection"/>:
/// the election's state says who leads, its replica registry (read on every tick) gives every live
/// replica's URLs.
/// </summary>
public sealed class ElectedReplicaRole(LeaderElection election) : IReplicaRole
{
    public ReplicaView Current
    {
        get
        {
            var state = election.State;
            var self = election.Self;
            var replicas = election.Replicas;
            if (!replicas.Any(r => r.Name == self.Name))
            {
                replicas = [.. replicas.Append(self).OrderBy(r => r.Name, StringComparer.Ordinal)];
            }

            var leader = state.Leader is { } name
                ? replicas.FirstOrDefault(r => r.Name == name) ?? new ReplicaInfo(name, null, null, state.Since)
                : null;
            return new ReplicaView(self, state.Role, leader, replicas, state.Reason);
        }
    }
}
