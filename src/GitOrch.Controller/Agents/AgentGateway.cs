using GitOrch.Storage;
using GitOrch.Core.AgentApi;
using System.Text.Json;
using GitOrch.Controller.Nodes;
using Microsoft.Data.Sqlite;

namespace GitOrch.Controller.Agents;

/// <summary>
/// The controller's side of the agent API. Desired pods per node are stored durably (agents
/// fetch them with a watch: a long-poll that answers when the node's revision moves); what agents
/// report (heartbeats, images, pod states) is kept in memory and rebuilt from the next heartbeat.
/// </summary>
public sealed class AgentGateway : IDisposable
{
    private readonly SqliteConnection _db;
    private readonly Lock _gate = new();
    private readonly GitOrch.Core.State.WriteGate _writes;
    private readonly NodeRegistry _nodes;
    private readonly TimeProvider _time;
    private readonly Dictionary<string, NodeHeartbeat> _reports = new(StringComparer.Ordinal);
    private readonly Dictionary<string, DateTimeOffset> _lastSeen = new(StringComparer.Ordinal);
    private readonly Dictionary<string, TaskCompletionSource> _changed = new(StringComparer.Ordinal);

    /// <param name="databasePath">The state file.</param>
    /// <param name="nodes">The node registry.</param>
    /// <param name="time">The clock.</param>
    /// <param name="journal">Journals every write (a replica of the control plane).</param>
    /// <param name="writes">The gate of the state file's writers, shared with the other stores (its own when alone).</param>
    public AgentGateway(string databasePath, NodeRegistry nodes, TimeProvider time, GitOrch.Core.State.IStateJournal? journal = null, GitOrch.Core.State.WriteGate? writes = null)
    {
        _writes = writes ?? new GitOrch.Core.State.WriteGate();
        _nodes = nodes;
        _time = time;
        _db = SqliteDb.OpenDurable(databasePath);
        _db.Exec("""
            CREATE TABLE IF NOT EXISTS assignments(
              node TEXT NOT NULL, pod TEXT NOT NULL, generation TEXT NOT NULL, body TEXT NOT NULL, revision INTEGER NOT NULL,
              PRIMARY KEY(node, pod));
            CREATE TABLE IF NOT EXISTS node_revisions(node TEXT PRIMARY KEY, revision INTEGER NOT NULL);
            """);
        if (journal is not null)
        {
            SqliteJournal.Attach(_db, journal, Path.GetFileName(databasePath));
        }
    }

    /// <summary>The log channels that connected agents hold open (container logs travel on them).</summary>
    public NodeLogChannels Logs { get; } = new();

    /// <summary>Programs a pod on a node (durably). Returns false when the node already has that generation.</summary>
    public bool Assign(string node, PodAssignment pod)
    {
        lock (_gate)
        {
            using var writing = _writes.Background(); // After the gateway's own lock: nothing takes them the other way round.
            using var tx = _db.BeginTransaction();
            using (var read = _db.Command("SELECT generation FROM assignments WHERE node=$n AND pod=$p", tx, ("$n", node), ("$p", pod.Pod)))
            {
                if (read.ExecuteScalar() as string == pod.Generation)
                {
                    return false;
                }
            }

            var revision = Bump(node, tx);
            using var write = _db.Command("""
                INSERT INTO assignments(node, pod, generation, body, revision) VALUES($n,$p,$g,$b,$r)
                ON CONFLICT(node, pod) DO UPDATE SET generation=excluded.generation, body=excluded.body, revision=excluded.revision
                """, tx, ("$n", node), ("$p", pod.Pod), ("$g", pod.Generation), ("$b", JsonSerializer.Serialize(pod)), ("$r", revision));
            write.ExecuteNonQuery();
            tx.CommitDurably();
            Notify(node);
            return true;
        }
    }

    /// <summary>Removes a pod from a node (deleted, or moved elsewhere).</summary>
    public void Unassign(string node, string pod)
    {
        lock (_gate)
        {
            using var writing = _writes.Background(); // After the gateway's own lock: nothing takes them the other way round.
            using var tx = _db.BeginTransaction();
            using var delete = _db.Command("DELETE FROM assignments WHERE node=$n AND pod=$p", tx, ("$n", node), ("$p", pod));
            if (delete.ExecuteNonQuery() > 0)
            {
                Bump(node, tx);
                tx.CommitDurably();
                Notify(node);
            }
        }
    }

    /// <summary>The node that has a pod assigned, if any.</summary>
    public string? NodeOf(string pod)
    {
        lock (_gate)
        {
            using var cmd = _db.Command("SELECT node FROM assignments WHERE pod=$p LIMIT 1", null, ("$p", pod));
            return cmd.ExecuteScalar() as string;
        }
    }

    public AssignmentSet Assignments(string node)
    {
        lock (_gate)
        {
            return AssignmentsLocked(node);
        }
    }

    private AssignmentSet AssignmentsLocked(string node)
    {
        {
            using var rev = _db.Command("SELECT revision FROM node_revisions WHERE node=$n", null, ("$n", node));
            var revision = rev.ExecuteScalar() is long r ? r : 0;
            using var cmd = _db.Command("SELECT body FROM assignments WHERE node=$n ORDER BY pod", null, ("$n", node));
            using var reader = cmd.ExecuteReader();
            var pods = new List<PodAssignment>();
            while (reader.Read())
            {
                pods.Add(JsonSerializer.Deserialize<PodAssignment>(reader.GetString(0))!);
            }

            return new AssignmentSet(node, revision, pods);
        }
    }

    /// <summary>Waits (up to <paramref name="timeout"/>) until the node's revision moves past <paramref name="since"/>.</summary>
    public async Task<AssignmentSet> WatchAsync(string node, long since, TimeSpan timeout, CancellationToken ct)
    {
        Task changed;
        lock (_gate)
        {
            var current = AssignmentsLocked(node);
            if (current.Revision != since)
            {
                return current;
            }

            if (!_changed.TryGetValue(node, out var tcs))
            {
                _changed[node] = tcs = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }

            changed = tcs.Task;
        }

        try
        {
            await changed.WaitAsync(timeout, _time, ct);
        }
        catch (TimeoutException)
        {
            // Nothing changed: answer with the same revision.
        }

        return Assignments(node);
    }

    /// <summary>Raised (outside the gateway's lock) for each pod whose report changed: phase, restarts, generation or containers.</summary>
    public event Action<string, PodReport>? PodReportChanged;

    /// <summary>The state folder node <paramref name="node"/>'s agent last reported (its image store is STATE/images), or null.</summary>
    public string? StateDirOf(string node)
    {
        lock (_gate)
        {
            return _reports.TryGetValue(node, out var report) ? report.StateDir : null;
        }
    }

    /// <summary>Records an agent's heartbeat: registers the node (back as schedulable) and keeps its report.</summary>
    public void Heartbeat(NodeHeartbeat heartbeat)
    {
        _nodes.Register(new NodeInfo(heartbeat.Node, heartbeat.Labels, heartbeat.CpuMillis, heartbeat.MemoryBytes));
        _nodes.MarkSchedulable(heartbeat.Node);
        List<PodReport> changed;
        lock (_gate)
        {
            var previous = _reports.GetValueOrDefault(heartbeat.Node)?.Pods.ToDictionary(p => p.Pod) ?? [];
            changed = heartbeat.Pods.Where(p => !previous.TryGetValue(p.Pod, out var before) || Differs(before, p)).ToList();
            _reports[heartbeat.Node] = heartbeat;
            _lastSeen[heartbeat.Node] = _time.GetUtcNow();
        }

        foreach (var report in changed)
        {
            PodReportChanged?.Invoke(heartbeat.Node, report);
        }
    }

    private static bool Differs(PodReport a, PodReport b) =>
        a.Phase != b.Phase || a.Restarts != b.Restarts || a.Generation != b.Generation
        || !a.Containers.Select(c => (c.Name, c.State, c.Pid)).SequenceEqual(b.Containers.Select(c => (c.Name, c.State, c.Pid)))
        || !(a.InitContainers ?? []).Select(i => (i.Name, i.State, i.Attempts)).SequenceEqual((b.InitContainers ?? []).Select(i => (i.Name, i.State, i.Attempts)));

    public PodReport? Report(string node, string pod)
    {
        lock (_gate)
        {
            return _reports.TryGetValue(node, out var report) ? report.Pods.FirstOrDefault(p => p.Pod == pod) : null;
        }
    }

    public bool? HasImage(string node, string image)
    {
        lock (_gate)
        {
            return _reports.TryGetValue(node, out var report) ? report.Images.Contains(image) : null;
        }
    }

    public DateTimeOffset? LastSeen(string node)
    {
        lock (_gate)
        {
            return _lastSeen.TryGetValue(node, out var seen) ? seen : null;
        }
    }

    public IReadOnlyDictionary<string, NodeHeartbeat> Reports
    {
        get
        {
            lock (_gate)
            {
                return new Dictionary<string, NodeHeartbeat>(_reports);
            }
        }
    }

    private long Bump(string node, SqliteTransaction tx)
    {
        using var cmd = _db.Command("INSERT INTO node_revisions(node, revision) VALUES($n, 1) ON CONFLICT(node) DO UPDATE SET revision = revision + 1 RETURNING revision", tx, ("$n", node));
        return (long)cmd.ExecuteScalar()!;
    }

    private void Notify(string node)
    {
        if (_changed.Remove(node, out var tcs))
        {
            tcs.TrySetResult();
        }
    }

    public void Dispose() => _db.Dispose();
}
