namespace GitOrch.Controller.Replication;

/// <summary>
/// What a controller host knows of its place among the replicas: whether it leads, who does, and
/// every live replica. The API refuses writes (and the reads that need the leader's workflow
/// engine) and the node protocol refuses node calls whenever <see cref="Current"/> says this
/// replica does not lead. One snapshot per request, so a request sees one consistent view.
/// </summary>
public interface IReplicaRole
{
    ReplicaView Current { get; }
}
