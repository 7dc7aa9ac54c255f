namespace GitOrch.Controller.Replication;

/// <summary>
/// The role of the embedded control plane (<c>gitorch up</c>, <c>gitorch controller</c> on SQLite):
/// one process, always the leader, itself the only replica. Its URLs are known once the host listens.
/// </summary>
public sealed class SingleReplicaRole(string name, TimeProvider time) : IReplicaRole
{
    private ReplicaView _view = View(new ReplicaInfo(name, null, null, time.GetUtcNow()));

    public ReplicaView Current => Volatile.Read(ref _view);

    /// <summary>Records the URLs this process serves (called once the host listens).</summary>
    public void Serve(string apiUrl, string? agentUrl) =>
        Volatile.Write(ref _view, View(Current.Self with { ApiUrl = apiUrl, AgentUrl = agentUrl }));

    private static ReplicaView View(ReplicaInfo self) => new(self, ReplicaRole.Leader, self, [self], null);
}
