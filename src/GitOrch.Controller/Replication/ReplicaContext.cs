using GitOrch.Core.State;

namespace GitOrch.Controller.Replication;

/// <summary>
/// How a controller host runs as one replica of a replicated control plane: its name, the journal
/// its stores write through, and whether it leads (a leader runs the hosted services and writes;
/// a follower serves reads from its copy and refuses writes naming the leader).
/// </summary>
public sealed record ReplicaContext(string Name, IStateJournal Journal, bool Leads)
{
    /// <summary>The name of this replica's admin token (each replica writes <c>STATE/admin.credentials</c> for its local user).</summary>
    public string AdminTokenName => "admin-" + Name;
}
