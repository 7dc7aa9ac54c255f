using GitOrch.Controller.Replication;

namespace GitOrch.Tests.Shared;

/// <summary>
/// A test's stand-in for the registry and the leader key of the replicated control plane: which
/// replicas live and which one leads, flipped by the test. Each replica reads its role from it.
/// </summary>
internal sealed class ReplicaDirectory
{
    private readonly Lock _gate = new();
    private readonly SortedDictionary<string, ReplicaInfo> _replicas = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _beliefs = new(StringComparer.Ordinal);
    private string? _leader;
    private string? _why = "no leader elected yet";

    public void Register(ReplicaInfo replica)
    {
        lock (_gate)
        {
            _replicas[replica.Name] = replica;
        }
    }

    /// <summary>Makes <paramref name="name"/> the leader; null: no leader, for the reason given.</summary>
    public void Lead(string? name, string? why = null)
    {
        lock (_gate)
        {
            _leader = name;
            _why = name is null ? why ?? "no leader elected yet" : null;
            _beliefs.Clear();
        }
    }

    /// <summary>Makes <paramref name="replica"/> alone believe that <paramref name="leader"/> leads (a stale view, as during a takeover).</summary>
    public void Believe(string replica, string leader)
    {
        lock (_gate)
        {
            _beliefs[replica] = leader;
        }
    }

    public IReplicaRole RoleOf(string name) => new Role(this, name);

    private ReplicaView ViewOf(string name)
    {
        lock (_gate)
        {
            var self = _replicas.GetValueOrDefault(name) ?? new ReplicaInfo(name, null, null, DateTimeOffset.UnixEpoch);
            var leaderName = _beliefs.GetValueOrDefault(name) ?? _leader;
            var leader = leaderName is { } l ? _replicas.GetValueOrDefault(l) ?? new ReplicaInfo(l, null, null, DateTimeOffset.UnixEpoch) : null;
            var role = leaderName == name ? ReplicaRole.Leader : leaderName is null ? ReplicaRole.Unavailable : ReplicaRole.Follower;
            return new ReplicaView(self, role, leader, [.. _replicas.Values], _why);
        }
    }

    private sealed class Role(ReplicaDirectory directory, string name) : IReplicaRole
    {
        public ReplicaView Current => directory.ViewOf(name);
    }
}
