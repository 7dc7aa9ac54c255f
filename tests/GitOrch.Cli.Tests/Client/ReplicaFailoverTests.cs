using System.Text.Json;
using GitOrch.Cli.Tests.Support;
using GitOrch.Contracts.Trust;
using GitOrch.Controller.Tests.Support;
using GitOrch.Controller.Replication;

namespace GitOrch.Cli.Tests.Client;

/// <summary>
/// The command line against two real controller replicas of one cluster (r1 leads, r2 follows):
/// a write sent to the follower ends at the leader, reads are served where they land, <c>status</c>
/// names the leader and every replica, and a "leader" named by a replica is followed only over TLS
/// to a certificate from the cluster CA, so the token never reaches another server.
/// </summary>
public sealed class ReplicaFailoverTests : IAsyncLifetime
{
    private ReplicaPair _pair = null!;

    private string Leader => _pair.First.Address;

    private string Follower => _pair.Second.Address;

    public async Task InitializeAsync()
    {
        _pair = await ReplicaPair.StartAsync();

        // Both replicas ran their first cycle (each host here has its own loop); what follows is only what the test asks for.
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (_pair.First.Controller.Sync.Cycles < 1 || _pair.Second.Controller.Sync.Cycles < 1)
        {
            Assert.True(DateTime.UtcNow < deadline, "the replicas did not run their first cycle within 20 s");
            await Task.Delay(20);
        }
    }

    public async Task DisposeAsync() => await _pair.DisposeAsync();

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Sync_SentToTheFollowerFirst_EndsAtTheLeader(bool leaderListedToo)
    {
        var head = _pair.Repo.Write("apps/web.yaml", Manifests.Pod("web")).Commit("Add web");

        var (exit, output, error) = await RunAsync("sync", "--server", leaderListedToo ? $"{Follower},{Leader}" : Follower);

        Assert.Equal((0, string.Empty), (exit, error));
        Assert.Contains($"last applied {head[..12]}", output, StringComparison.Ordinal);
        Assert.Equal(head, _pair.First.Controller.Status.LastApplied);
        Assert.NotEqual(head, _pair.Second.Controller.Status.LastApplied);
    }

    [Fact]
    public async Task AReadSentToTheFollower_IsServedThere()
    {
        // The leader is somewhere the client would notice a visit: the read must not go there.
        await using var elsewhere = new ListenerThatRecords(tls: false);
        _pair.Directory.Register(new ReplicaInfo("r9", elsewhere.Url, null, DateTimeOffset.UnixEpoch));
        _pair.Directory.Lead("r9");
        _pair.Repo.Write("apps/web.yaml", Manifests.Pod("web")).Commit("Add web");
        await _pair.Second.Controller.SyncOnceAsync(CancellationToken.None); // The follower's store has the pod (in the replicated store, it reads the leader's writes).

        var (exit, output, error) = await RunAsync("get", "pods", "-A", "--server", Follower);

        Assert.Equal((0, string.Empty), (exit, error));
        Assert.Contains("web", output, StringComparison.Ordinal);
        Assert.Equal(0, elsewhere.Connections);
    }

    [Fact]
    public async Task Status_NamesTheLeaderAndEveryReplicaWithItsRole()
    {
        var (exit, output, error) = await RunAsync("status", "--server", Follower);

        Assert.Equal((0, string.Empty), (exit, error));
        Assert.Contains($"Leader:    r1 at {Leader}\n", output, StringComparison.Ordinal);
        Assert.Contains($"Replicas:  r1 (leader) {Leader}, r2 (follower, answered) {Follower}\n", output, StringComparison.Ordinal);
        Assert.Contains("Repo:", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StatusJson_CarriesTheReplication()
    {
        var (exit, output, _) = await RunAsync("status", "--output", "json", "--server", Leader);

        Assert.Equal(0, exit);
        var replication = JsonDocument.Parse(output).RootElement.GetProperty("replication");
        Assert.Equal("r1", replication.GetProperty("replica").GetString());
        Assert.Equal("r1", replication.GetProperty("leader").GetString());
        Assert.Equal(
            [("r1", "leader", Leader), ("r2", "follower", Follower)],
            replication.GetProperty("replicas").EnumerateArray().Select(r => (r.GetProperty("name").GetString(), r.GetProperty("role").GetString(), r.GetProperty("apiUrl").GetString())));
    }

    [Fact]
    public async Task WithNoLeader_EveryReplicasAnswerIsNamed_AndTheExitIs1()
    {
        _pair.Directory.Lead(null, "etcd has lost quorum");

        var (exit, _, error) = await RunAsync("sync", "--server", $"{Follower},{Leader}");

        Assert.Equal(1, exit);
        Assert.Contains("no controller replica served the request; each answered:", error, StringComparison.Ordinal);
        Assert.Contains($"{Follower}: this replica (r2) is not the leader and no leader is known (etcd has lost quorum)", error, StringComparison.Ordinal);
        Assert.Contains($"{Leader}: this replica (r1) is not the leader and no leader is known (etcd has lost quorum)", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ALeaderNamedAtAServerOutsideTheClusterCa_IsRefused_AndNeverSeesTheToken()
    {
        await using var impostor = new ListenerThatRecords(tls: true);
        _pair.Directory.Register(new ReplicaInfo("r9", impostor.Url, null, DateTimeOffset.UnixEpoch));
        _pair.Directory.Lead("r9");

        var (exit, _, error) = await RunAsync("sync", "--server", Follower);

        Assert.Equal(1, exit);
        Assert.Contains($"{Follower}: this replica (r2) is a follower; the leader is r9 at {impostor.Url}; retry there", error, StringComparison.Ordinal);
        Assert.Contains($"refused the server at {impostor.Url}: the server's certificate (CN=127.0.0.1) is not from the cluster CA", error, StringComparison.Ordinal);
        Assert.True(impostor.Connections >= 1, "the client never tried the named leader, so the test shows nothing");
        Assert.Empty(impostor.Requests);
        var token = ClusterCredentials.Load(_pair.CredentialsPath).Token;
        Assert.DoesNotContain(impostor.Requests, r => r.Contains(token, StringComparison.Ordinal));
    }

    [Fact]
    public async Task ALeaderNamedAtAPlainHttpUrl_IsNotFollowed()
    {
        await using var plain = new ListenerThatRecords(tls: false);
        _pair.Directory.Register(new ReplicaInfo("r9", plain.Url, null, DateTimeOffset.UnixEpoch));
        _pair.Directory.Lead("r9");

        var (exit, _, error) = await RunAsync("sync", "--server", Follower);

        Assert.Equal(1, exit);
        Assert.Contains($"not following the leader it named: {plain.Url} is not https", error, StringComparison.Ordinal);
        Assert.Equal(0, plain.Connections);
    }

    [Fact]
    public async Task TwoReplicasNamingEachOther_AreFollowedOneHopOnly()
    {
        _pair.Directory.Believe("r1", "r2");
        _pair.Directory.Believe("r2", "r1");

        var (exit, _, error) = await RunAsync("sync", "--server", Leader);

        Assert.Equal(1, exit);
        Assert.Contains($"{Leader}: this replica (r1) is a follower; the leader is r2 at {Follower}; retry there", error, StringComparison.Ordinal);
        Assert.Contains($"{Follower}: this replica (r2) is a follower; the leader is r1 at {Leader}; retry there", error, StringComparison.Ordinal);
        Assert.Equal(2, error.Split("this replica (").Length - 1);
    }

    [Fact]
    public async Task ALeaderWithNoAddressYet_SendsTheClientToTheNextServer()
    {
        _pair.Directory.Register(new ReplicaInfo("r3", null, null, DateTimeOffset.UnixEpoch));
        _pair.Directory.Lead("r3");

        var (exit, _, error) = await RunAsync("sync", "--server", $"{Follower},{Leader}");

        Assert.Equal(1, exit);
        Assert.Contains($"{Follower}: this replica (r2) is a follower; the leader is r3 (it has not registered its address yet); retry there", error, StringComparison.Ordinal);
        Assert.Contains($"{Leader}: this replica (r1) is a follower; the leader is r3", error, StringComparison.Ordinal);
    }

    private Task<(int Exit, string Out, string Err)> RunAsync(params string[] args) => Task.Run(() =>
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exit = GitOrchApp.Run([.. args, "--credentials", _pair.CredentialsPath], output, error, RunningController.Wide);
        return (exit, output.ToString(), error.ToString());
    });
}
