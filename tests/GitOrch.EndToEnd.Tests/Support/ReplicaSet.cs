using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text;
using dotnet_etcd;
using Etcdserverpb;
using GitOrch.Controller.Api;
using GitOrch.Tests.Shared;
using Google.Protobuf;
using Microsoft.Data.Sqlite;

namespace GitOrch.EndToEnd.Tests.Support;

/// <summary>
/// Real <c>gitorch controller --etcd</c> replicas of one control plane on a real etcd cluster
/// (<see cref="EtcdCluster"/>), all on one config repo. Each replica keeps its name, state folder and
/// ports across restarts; by default it talks to every etcd member, or to the members
/// <c>endpoints</c> picks. Who leads is read from etcd (the leader key). Disposing kills every
/// replica, then the etcd members.
/// </summary>
internal sealed class ReplicaSet : IAsyncDisposable
{
    public const string Prefix = "/gitorch-ha/";

    private readonly Replica[] _replicas;
    private readonly EtcdClient[] _clients;
    private readonly string _repo;
    private readonly string _root;
    private readonly double _leaseTtl;

    private ReplicaSet(EtcdCluster etcd, string repo, string root, double leaseTtl, Replica[] replicas)
    {
        Etcd = etcd;
        _repo = repo;
        _root = root;
        _leaseTtl = leaseTtl;
        _replicas = replicas;
        _clients = [.. Enumerable.Range(0, etcd.Count).Select(i => new EtcdClient(etcd.ClientUrl(i)))];
    }

    public EtcdCluster Etcd { get; }

    public int Count => _replicas.Length;

    /// <summary>Starts <paramref name="members"/> etcd members and <paramref name="count"/> replicas (names r0, r1, ...).</summary>
    public static async Task<ReplicaSet> StartAsync(string repo, string root, int count = 3, int members = 3, double leaseTtl = 2, Func<EtcdCluster, int, string>? endpoints = null)
    {
        var etcd = await EtcdCluster.StartAsync(members);
        var replicas = Enumerable.Range(0, count).Select(i => new Replica(
            $"r{i}",
            Path.Combine(root, $"r{i}"),
            $"https://127.0.0.1:{LoopbackPorts.Free()}",
            $"https://127.0.0.1:{LoopbackPorts.Free()}",
            endpoints?.Invoke(etcd, i) ?? etcd.Endpoints)).ToArray();
        var set = new ReplicaSet(etcd, repo, root, leaseTtl, replicas);
        for (var i = 0; i < count; i++)
        {
            set.Start(i);
        }

        return set;
    }

    public string Name(int replica) => _replicas[replica].Name;

    public string StateDir(int replica) => _replicas[replica].State;

    /// <summary>The running process of a replica (null while it is down).</summary>
    public GitorchProcess? Process(int replica) => _replicas[replica].Current;

    public GitorchProcess Running(int replica) => _replicas[replica].Current ?? throw new InvalidOperationException($"replica {Name(replica)} is not running");

    /// <summary>Every output a replica wrote, over all its runs.</summary>
    public string Output(int replica) => _replicas[replica].Past + (_replicas[replica].Current?.Output ?? string.Empty);

    public void Start(int replica)
    {
        var r = _replicas[replica];
        if (r.Current is not null)
        {
            throw new InvalidOperationException($"replica {r.Name} runs already");
        }

        r.Current = GitorchProcess.Start(_root, "controller", "--repo", _repo, "--state", r.State, "--poll", "0.05",
            "--etcd", r.Endpoints, "--name", r.Name, "--etcd-prefix", Prefix, "--lease-ttl", _leaseTtl.ToString(CultureInfo.InvariantCulture),
            "--listen", r.Listen, "--agent-listen", r.AgentListen);
    }

    /// <summary>kill -9 a replica (its process tree), as a crash would.</summary>
    public async Task KillAsync(int replica)
    {
        var r = _replicas[replica];
        if (r.Current is { } process)
        {
            process.Kill();
            r.Past += process.Output + $"---- killed (SIGKILL) at {DateTime.UtcNow:HH:mm:ss.fff} ----\n";
            r.Current = null;
            await process.DisposeAsync();
        }
    }

    /// <summary>The replica the leader key in etcd names, or null (no leader, or etcd does not answer).</summary>
    public async Task<int?> LeaderAsync()
    {
        foreach (var client in _clients)
        {
            try
            {
                var response = await client.GetAsync(new RangeRequest { Key = ByteString.CopyFromUtf8(Prefix + "leader") }, deadline: DateTime.UtcNow.AddSeconds(1));
                if (response.Kvs.Count == 0)
                {
                    return null;
                }

                var name = response.Kvs[0].Value.ToStringUtf8();
                var index = Array.FindIndex(_replicas, r => r.Name == name);
                return index >= 0 ? index : null;
            }
            catch (Exception ex) when (ex is Grpc.Core.RpcException or OperationCanceledException or HttpRequestException)
            {
                // This member is down or without quorum: ask the next.
            }
        }

        return null;
    }

    /// <summary>Waits until etcd names a leader that <paramref name="accept"/> takes, and its API answers as leader.</summary>
    public async Task<int> WaitForLeaderAsync(Func<int, bool> accept, string what, int seconds = 30)
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(seconds))
        {
            if (await LeaderAsync() is { } leader && accept(leader) && Process(leader) is { HasExited: false } process
                && process.Output.Contains($"replica {Name(leader)} leads", StringComparison.Ordinal))
            {
                return leader;
            }

            await Task.Delay(100);
        }

        Assert.Fail($"no replica led ({what}) within {seconds} s; leader key names {await LeaderAsync()}\n{Outputs()}");
        return -1;
    }

    /// <summary>The replica's status (null when it does not answer now).</summary>
    public async Task<StatusModel?> StatusAsync(int replica, int limit = 1000) => (await TryStatusAsync(replica, limit)).Status;

    /// <summary>The replica's status, or why there is none (not running, or the call's error).</summary>
    public async Task<(StatusModel? Status, string? Error)> TryStatusAsync(int replica, int limit = 1000)
    {
        if (Process(replica)?.AdminClient() is not { } http)
        {
            return (null, "not running, or no admin credentials yet");
        }

        var clock = Stopwatch.StartNew();
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            return (await http.GetFromJsonAsync<StatusModel>($"api/v1/status?limit={limit}", timeout.Token), null);
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or System.Text.Json.JsonException)
        {
            return (null, $"{ex.GetType().Name} after {clock.ElapsedMilliseconds} ms: {ex.Message}");
        }
    }

    /// <summary>
    /// Asks the replica for its status until it answers or <paramref name="seconds"/> pass. Returns
    /// the answer (null if none came), why the first call got none (null if it answered), and why
    /// the last one got none.
    /// </summary>
    public async Task<(StatusModel? Status, string? FirstError, string? LastError)> AnswerStatusAsync(int replica, int seconds)
    {
        var (status, first) = await TryStatusAsync(replica);
        var last = first;
        for (var deadline = Stopwatch.StartNew(); status is null && deadline.Elapsed < TimeSpan.FromSeconds(seconds);)
        {
            await Task.Delay(200);
            (status, last) = await TryStatusAsync(replica);
        }

        return (status, first, last);
    }

    /// <summary>Waits until the commit is in the replica's copy with <paramref name="state"/>.</summary>
    public async Task WaitForCommitAsync(int replica, string sha, string state, int seconds = 30)
    {
        var deadline = Stopwatch.StartNew();
        StatusModel? last = null;
        while (deadline.Elapsed < TimeSpan.FromSeconds(seconds))
        {
            last = await StatusAsync(replica) ?? last;
            if (last?.Commits.Any(c => c.Sha == sha && c.State == state) == true)
            {
                return;
            }

            await Task.Delay(100);
        }

        Assert.Fail($"replica {Name(replica)} did not have commit {sha} {state} within {seconds} s; its last commits: {string.Join(", ", last?.Commits.Take(5).Select(c => $"{c.Sha[..8]} {c.State}") ?? [])}\n{Outputs()}");
    }

    /// <summary>
    /// Waits until every running replica's copy is at the same journal entry and reads them all at
    /// that entry (each database read in one transaction, so the rows and the index agree); returns
    /// the rows of every table of every database, by replica. The leader keeps writing (step logs,
    /// retries), so every database of every replica is first opened in a read transaction and its
    /// index read within a moment (which fixes each one's snapshot); only when the indexes agree are
    /// the rows read, from those same snapshots.
    /// </summary>
    public async Task<(string Applied, IReadOnlyList<string> Copies)> ConvergedCopiesAsync(int seconds = 30)
    {
        var limit = TimeSpan.FromSeconds(Math.Max(seconds, 60));
        var deadline = Stopwatch.StartNew();
        var seen = string.Empty;
        while (deadline.Elapsed < limit)
        {
            var snapshots = Enumerable.Range(0, Count).Select(i => new CopySnapshot(StateDir(i))).ToList();
            try
            {
                var indexes = snapshots.Select(c => c.Applied).ToList();
                seen = string.Join(", ", indexes);
                if (indexes.Distinct().Count() == 1 && !indexes[0].StartsWith("0/", StringComparison.Ordinal))
                {
                    return (indexes[0], snapshots.Select(c => c.Rows()).ToList());
                }
            }
            finally
            {
                foreach (var snapshot in snapshots)
                {
                    snapshot.Dispose();
                }
            }

            await Task.Delay(10);
        }

        Assert.Fail($"the replicas' copies did not reach one journal entry within {limit.TotalSeconds:0} s (applied: {seen})\n{Outputs()}");
        return default;
    }

    /// <summary>Every row of every table of state.db and trust.db of a state folder, as text, with each database's journal index ("STATE/TRUST").</summary>
    public static (string Applied, string Rows) ReadCopy(string stateDir)
    {
        using var snapshot = new CopySnapshot(stateDir);
        return (snapshot.Applied, snapshot.Rows());
    }

    /// <summary>A replica's state.db and trust.db, each held in one read transaction from the moment its journal index is read.</summary>
    private sealed class CopySnapshot : IDisposable
    {
        private readonly List<(string Name, SqliteConnection Db, SqliteTransaction Tx)> _databases = [];

        public CopySnapshot(string stateDir)
        {
            var applied = new List<long>();
            foreach (var database in new[] { "state.db", "trust.db" })
            {
                var db = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = Path.Combine(stateDir, database), Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
                db.Open();
                var tx = db.BeginTransaction(deferred: true);
                _databases.Add((database, db, tx));
                using var read = db.CreateCommand();
                read.Transaction = tx;
                read.CommandText = "SELECT applied FROM replica_journal WHERE id = 1";
                try
                {
                    applied.Add(read.ExecuteScalar() is long a ? a : 0);
                }
                catch (SqliteException)
                {
                    applied.Add(0); // No journal table yet.
                }
            }

            Applied = string.Join('/', applied);
        }

        public string Applied { get; }

        public string Rows() => string.Concat(_databases.Select(d => SqliteRows.Dump(d.Db, d.Tx, d.Name)));

        public void Dispose()
        {
            foreach (var (_, db, tx) in _databases)
            {
                tx.Dispose();
                db.Dispose();
            }
        }
    }

    /// <summary>Every replica's output, for a failure message.</summary>
    public string Outputs()
    {
        var text = new StringBuilder();
        for (var i = 0; i < Count; i++)
        {
            var output = Output(i);
            text.Append("==== replica ").Append(Name(i)).Append(" (last 6000 characters)\n").Append(output.Length > 6000 ? output[^6000..] : output).Append('\n');
        }

        return text.ToString();
    }

    public async ValueTask DisposeAsync()
    {
        for (var i = 0; i < Count; i++)
        {
            await KillAsync(i);
        }

        if (Environment.GetEnvironmentVariable("GITORCH_HA_LOGS") is { Length: > 0 } logs)
        {
            // Every replica's whole output, for a run that failed (set GITORCH_HA_LOGS=DIR).
            Directory.CreateDirectory(logs);
            for (var i = 0; i < Count; i++)
            {
                await File.WriteAllTextAsync(Path.Combine(logs, $"{Path.GetFileName(_root)}-{Name(i)}.log"), Output(i));
            }
        }

        foreach (var client in _clients)
        {
            client.Dispose();
        }

        await Etcd.DisposeAsync();
    }

    private sealed class Replica(string name, string state, string listen, string agentListen, string endpoints)
    {
        public string Name => name;

        public string State => state;

        public string Listen => listen;

        public string AgentListen => agentListen;

        public string Endpoints => endpoints;

        public GitorchProcess? Current { get; set; }

        public string Past { get; set; } = string.Empty;
    }
}
