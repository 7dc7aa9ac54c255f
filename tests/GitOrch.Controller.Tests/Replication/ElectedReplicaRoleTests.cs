using dotnet_etcd;
using GitOrch.Controller.Replication;
using Microsoft.Extensions.Logging.Abstractions;

namespace GitOrch.Controller.Tests.Replication;

/// <summary>The role a replica on etcd gives its host, read from a real election: the leader with its URLs, and every replica.</summary>
public sealed class ElectedReplicaRoleTests
{
    [Fact]
    public async Task AFollowersRole_NamesTheLeaderWithItsUrls_AndEveryReplica()
    {
        await using var etcd = await EtcdCluster.StartAsync();
        using var clientA = new EtcdClient(etcd.Endpoints);
        using var clientB = new EtcdClient(etcd.Endpoints);
        var a = new LeaderElection(clientA, "/roles/", new ReplicaInfo("a", "https://a.test:7780", "https://a.test:7781", DateTimeOffset.UnixEpoch), TimeSpan.FromSeconds(2), TimeProvider.System, NullLogger<LeaderElection>.Instance);
        using var stop = new CancellationTokenSource();
        var runA = a.RunAsync(stop.Token);
        await WaitUntilAsync(() => a.State.IsLeader);
        var b = new LeaderElection(clientB, "/roles/", new ReplicaInfo("b", "https://b.test:7780", "https://b.test:7781", DateTimeOffset.UnixEpoch), TimeSpan.FromSeconds(2), TimeProvider.System, NullLogger<LeaderElection>.Instance);
        var runB = b.RunAsync(stop.Token);
        try
        {
            var follower = new ElectedReplicaRole(b);
            await WaitUntilAsync(() => follower.Current.Leader?.ApiUrl is not null && follower.Current.Replicas.Count == 2);

            var view = follower.Current;
            Assert.False(view.IsLeader);
            Assert.Equal(("a", "https://a.test:7780", "https://a.test:7781"), (view.Leader!.Name, view.Leader.ApiUrl, view.Leader.AgentUrl));
            Assert.Equal(["a", "b"], view.Replicas.Select(r => r.Name));
            Assert.Equal(ReplicaRole.Leader, view.RoleOf(view.Replicas[0]));
            Assert.Equal(ReplicaRole.Follower, view.RoleOf(view.Replicas[1]));
            Assert.Equal("this replica (b) is a follower; the leader is a at https://a.test:7780; retry there", view.Refusal());
            Assert.True(new ElectedReplicaRole(a).Current.IsLeader);
        }
        finally
        {
            await stop.CancelAsync();
            await Task.WhenAll(runA, runB);
        }
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "the condition did not hold within 20 s");
            await Task.Delay(50);
        }
    }
}
