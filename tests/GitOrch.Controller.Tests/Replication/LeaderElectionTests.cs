using System.Diagnostics;
using dotnet_etcd;
using Etcdserverpb;
using GitOrch.Controller.Replication;
using Google.Protobuf;
using Microsoft.Extensions.Logging.Abstractions;

namespace GitOrch.Controller.Tests.Replication;

/// <summary>
/// Leader election against real etcd members: one leader at a time, takeover when a leader stops
/// or is cut off, fencing of a deposed leader's writes, and no writes at all without quorum.
/// Lease TTLs here are the minimum (2 s) so takeovers happen within seconds of real time.
/// </summary>
public sealed class LeaderElectionTests
{
    private static readonly TimeSpan Ttl = TimeSpan.FromSeconds(2);

    [Fact]
    public async Task ExactlyOneReplicaLeads_AndTheOthersNameIt()
    {
        await using var etcd = await EtcdCluster.StartAsync();
        await using var replicas = new Replicas(etcd.Endpoints, "a", "b", "c");

        await WaitUntilAsync(() => replicas.All.Count(r => r.Election.State.IsLeader) == 1 && replicas.All.All(r => r.Election.State.Leader is not null));

        var leader = replicas.All.Single(r => r.Election.State.IsLeader).Name;
        Assert.All(replicas.All, r => Assert.Equal(leader, r.Election.State.Leader));
        var listed = await replicas.All[0].Election.ReplicasAsync(CancellationToken.None);
        Assert.Equal(["a", "b", "c"], listed.Select(r => r.Name));
    }

    [Fact]
    public async Task StoppedLeaderResigns_AndAnotherTakesOverWithoutWaitingForTheLease()
    {
        await using var etcd = await EtcdCluster.StartAsync();
        await using var replicas = new Replicas(etcd.Endpoints, "a", "b");
        await WaitUntilAsync(() => replicas.All.Any(r => r.Election.State.IsLeader));
        var leader = replicas.All.Single(r => r.Election.State.IsLeader);
        var other = replicas.All.Single(r => r != leader);

        await leader.StopAsync();

        await WaitUntilAsync(() => other.Election.State.IsLeader, Ttl / 2);
        Assert.DoesNotContain(await other.Election.ReplicasAsync(CancellationToken.None), r => r.Name == leader.Name);
    }

    [Fact]
    public async Task PartitionedLeader_StepsDownBeforeItsLease_AndItsWritesAreFencedAfterTakeover()
    {
        await using var etcd = await EtcdCluster.StartAsync();
        await using var cut = new TcpPartition(etcd.ClientUrl(0));
        await using var first = new Replicas(cut.Url, "a");
        await WaitUntilAsync(() => first.All[0].Election.State.IsLeader);
        var a = first.All[0].Election;
        var term = a.Term!;
        await a.CommitAsync(Put("/test/value", "from-a"), CancellationToken.None);

        await using var second = new Replicas(etcd.Endpoints, "b");
        var b = second.All[0].Election;
        cut.Partition();

        // The cut-off leader gives up its term on its own clock, before etcd can expire its lease.
        await WaitUntilAsync(() => term.Lost.IsCancellationRequested, Ttl);
        await WaitUntilAsync(() => b.State.IsLeader, Ttl * 3);
        cut.Heal();

        // The old term's fencing token no longer matches: a write under it changes nothing.
        var fenced = await RawGuardedPutAsync(etcd.Endpoints, term.Revision, "/test/value", "stale");
        Assert.False(fenced);
        await Assert.ThrowsAsync<NotLeaderException>(() => a.CommitAsync(Put("/test/value", "stale"), CancellationToken.None));
        await WaitUntilAsync(() => a.State.Role == ReplicaRole.Follower && a.State.Leader == "b", Ttl * 3);
        Assert.Equal("from-a", await ValueAsync(etcd.Endpoints, "/test/value"));
    }

    [Fact]
    public async Task RaftLeaderMemberDownWithQuorumKept_ChangesNothing()
    {
        await using var etcd = await EtcdCluster.StartAsync(3);
        await using var replicas = new Replicas(etcd.Endpoints, TimeSpan.FromSeconds(10), "a", "b");
        await WaitUntilAsync(() => replicas.All.Any(r => r.Election.State.IsLeader));
        var leader = replicas.All.Single(r => r.Election.State.IsLeader);
        var term = leader.Election.Term!;

        etcd.Stop(await etcd.RaftLeaderAsync()); // the hardest member to lose: etcd elects a new Raft leader meanwhile
        for (var i = 0; i < 5; i++)
        {
            // A write in flight while etcd elects a new Raft leader may fail as a transient error
            // (etcd: "request timed out, possibly due to previous leader failure"); the replica
            // keeps its term and the retry lands.
            await WithRetryAsync(() => leader.Election.CommitAsync(Put("/test/n", i.ToString(System.Globalization.CultureInfo.InvariantCulture)), CancellationToken.None));
            await Task.Delay(TimeSpan.FromSeconds(1));
        }

        Assert.False(term.Lost.IsCancellationRequested);
        Assert.Same(term, leader.Election.Term);
        Assert.Equal("4", await ValueAsync(etcd.Endpoints, "/test/n"));
    }

    [Fact]
    public async Task QuorumLost_EveryReplicaStopsWritingAndSaysWhy_ThenLeadershipResumes()
    {
        await using var etcd = await EtcdCluster.StartAsync(3);
        await using var replicas = new Replicas(etcd.Endpoints, "a", "b");
        await WaitUntilAsync(() => replicas.All.Any(r => r.Election.State.IsLeader));
        var leader = replicas.All.Single(r => r.Election.State.IsLeader);

        etcd.Stop(1);
        etcd.Stop(2);

        await WaitUntilAsync(() => replicas.All.All(r => r.Election.Term is null && r.Election.State.Reason is not null), Ttl * 3);
        await Assert.ThrowsAsync<NotLeaderException>(() => leader.Election.CommitAsync(Put("/test/q", "x"), CancellationToken.None));
        Assert.All(replicas.All, r => Assert.Contains("etcd", r.Election.State.Reason!, StringComparison.Ordinal));

        await etcd.RestartAsync(1);
        await etcd.RestartAsync(2);
        await WaitUntilAsync(() => replicas.All.Count(r => r.Election.Term is not null) == 1, TimeSpan.FromSeconds(30));
        var resumed = replicas.All.Single(r => r.Election.Term is not null);
        await resumed.Election.CommitAsync(Put("/test/q", "after"), CancellationToken.None);
        Assert.Equal("after", await ValueAsync(etcd.Endpoints, "/test/q"));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(11)]
    public void LeaseTtlOutsideTwoToTenSeconds_IsRefused(int seconds)
    {
        using var client = new EtcdClient("http://127.0.0.1:1");
        Assert.Throws<ArgumentOutOfRangeException>(() => new LeaderElection(client, "/x/", new ReplicaInfo("a", null, null, DateTimeOffset.UnixEpoch), TimeSpan.FromSeconds(seconds), TimeProvider.System, NullLogger<LeaderElection>.Instance));
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("{\"name\":\"\"}")]
    [InlineData("[]")]
    public void ReplicaEntriesThatAreNotValid_AreIgnored(string json) => Assert.Null(ReplicaInfo.Parse(json));

    private static TxnRequest Put(string key, string value)
    {
        var txn = new TxnRequest();
        txn.Success.Add(new RequestOp { RequestPut = new PutRequest { Key = ByteString.CopyFromUtf8(key), Value = ByteString.CopyFromUtf8(value) } });
        return txn;
    }

    private static async Task<bool> RawGuardedPutAsync(string endpoints, long revision, string key, string value)
    {
        using var client = new EtcdClient(endpoints);
        var txn = new TxnRequest();
        txn.Compare.Add(new Compare { Key = ByteString.CopyFromUtf8("/test/leader"), Target = Compare.Types.CompareTarget.Create, Result = Compare.Types.CompareResult.Equal, CreateRevision = revision });
        txn.Success.Add(new RequestOp { RequestPut = new PutRequest { Key = ByteString.CopyFromUtf8(key), Value = ByteString.CopyFromUtf8(value) } });
        return (await client.TransactionAsync(txn)).Succeeded;
    }

    private static async Task WithRetryAsync(Func<Task> write)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                await write();
                return;
            }
            catch (Grpc.Core.RpcException e) when (e.StatusCode is Grpc.Core.StatusCode.Unavailable or Grpc.Core.StatusCode.DeadlineExceeded && clock.Elapsed < TimeSpan.FromSeconds(20))
            {
                await Task.Delay(200);
            }
        }
    }

    private static async Task<string?> ValueAsync(string endpoints, string key)
    {
        using var client = new EtcdClient(endpoints);
        return (await client.GetAsync(key)).Kvs.FirstOrDefault()?.Value.ToStringUtf8();
    }

    private static async Task WaitUntilAsync(Func<bool> condition, TimeSpan? within = null)
    {
        // A first election on a machine busy with other suites can take a while: waits with no
        // lease arithmetic behind them get 30 s; etcd and gRPC need a moment beyond any lease arithmetic.
        var limit = (within ?? TimeSpan.FromSeconds(30)) + TimeSpan.FromSeconds(3);
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(clock.Elapsed < limit, $"condition not met within {limit.TotalSeconds:0.#} s");
            await Task.Delay(50);
        }
    }

    /// <summary>Replicas campaigning in this process, each with its own etcd client, stopped on dispose.</summary>
    private sealed class Replicas : IAsyncDisposable
    {
        public Replicas(string endpoints, params string[] names)
            : this(endpoints, Ttl, names)
        {
        }

        public Replicas(string endpoints, TimeSpan ttl, params string[] names)
        {
            All = names.Select(n => new Replica(endpoints, n, ttl)).ToList();
        }

        public IReadOnlyList<Replica> All { get; }

        public async ValueTask DisposeAsync()
        {
            foreach (var replica in All)
            {
                await replica.StopAsync();
            }
        }
    }

    private sealed class Replica
    {
        private readonly EtcdClient _client;
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _running;

        public Replica(string endpoints, string name, TimeSpan ttl)
        {
            Name = name;
            _client = new EtcdClient(endpoints);
            Election = new LeaderElection(_client, "/test/", new ReplicaInfo(name, $"https://{name}:7780", null, DateTimeOffset.UnixEpoch), ttl, TimeProvider.System, NullLogger<LeaderElection>.Instance);
            _running = Election.RunAsync(_stop.Token);
        }

        public string Name { get; }

        public LeaderElection Election { get; }

        public async Task StopAsync()
        {
            if (!_stop.IsCancellationRequested)
            {
                await _stop.CancelAsync();
                await _running;
                _client.Dispose();
            }
        }
    }
}
