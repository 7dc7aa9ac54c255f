namespace GitOrch.Controller.Replication;

public enum ReplicaRole
{
    /// <summary>Not yet known: the replica has not reached etcd since it started.</summary>
    Starting,

    /// <summary>This replica holds the leader key under a live lease: it alone applies commits.</summary>
    Leader,

    /// <summary>Another replica leads; this one serves reads and waits for the lease to lapse.</summary>
    Follower,

    /// <summary>etcd does not answer or has lost quorum: this replica writes nothing until it does.</summary>
    Unavailable,
}
