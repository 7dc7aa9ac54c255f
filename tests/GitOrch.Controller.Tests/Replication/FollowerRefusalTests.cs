using System.Net;
using System.Text.Json;
using GitOrch.Contracts.Agent;
using GitOrch.Contracts.Replication;
using GitOrch.Contracts.Trust;
using GitOrch.Controller.Api;
using GitOrch.Controller.Replication;
using GitOrch.Controller.Tests.Support;
using Grpc.Core;
using Grpc.Net.Client;

namespace GitOrch.Controller.Tests.Replication;

/// <summary>
/// Two real controller hosts of one cluster, r1 leading and r2 following (the role flipped by the
/// test): the follower refuses writes and the reads only the leader serves with 503 naming the
/// leader, serves every other read, refuses node calls naming the leader's node endpoint, and both
/// name the leader and every replica in <c>status</c>.
/// </summary>
public sealed class FollowerRefusalTests : IAsyncLifetime
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private ReplicaPair _pair = null!;

    public async Task InitializeAsync() => _pair = await ReplicaPair.StartAsync(nodeEndpoints: true);

    public async Task DisposeAsync() => await _pair.DisposeAsync();

    [Theory]
    [InlineData("POST", "api/v1/sync")]
    [InlineData("POST", "api/v1/objects/pod/worker/retry?namespace=demo")]
    [InlineData("POST", "api/v1/tokens")]
    [InlineData("POST", "api/v1/nodes/node-a/dead")]
    [InlineData("GET", "api/v1/objects/pod/worker/workflow?namespace=demo")]
    [InlineData("GET", "api/v1/objects/pod/worker/logs?namespace=demo")]
    [InlineData("GET", "api/v1/objects/pod/worker/graph?namespace=demo")]
    [InlineData("GET", "api/v1/objects/pod/worker/critical-chain?namespace=demo")]
    [InlineData("GET", "api/v1/objects/pod/worker/container-logs?namespace=demo")]
    public async Task TheFollower_RefusesWhatOnlyTheLeaderServes_NamingTheLeader(string method, string path)
    {
        using var follower = Client(_pair.Second);
        using var response = await follower.SendAsync(new HttpRequestMessage(new HttpMethod(method), path) { Content = method == "POST" ? JsonContent("{}") : null });

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        var answer = JsonSerializer.Deserialize<NotLeaderAnswer>(await response.Content.ReadAsStringAsync(), Json)!;
        Assert.Equal($"this replica (r2) is a follower; the leader is r1 at {_pair.First.Address}; retry there", answer.Error);
        Assert.Equal(_pair.First.Address, answer.Leader);
        Assert.Equal("r1", answer.LeaderName);
        Assert.Equal("r2", answer.Replica);
        Assert.Equal(_pair.First.Address, response.Headers.GetValues(LeaderHint.ApiUrlHeader).Single());
    }

    [Fact]
    public async Task TheLeader_ServesTheWriteTheFollowerRefused()
    {
        using var leader = Client(_pair.First);
        using var response = await leader.PostAsync(new Uri("api/v1/sync", UriKind.Relative), content: null);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Theory]
    [InlineData("api/v1/status")]
    [InlineData("api/v1/objects")]
    [InlineData("api/v1/objects?kind=pod")]
    [InlineData("api/v1/nodes")]
    [InlineData("api/v1/loops")]
    [InlineData("api/v1/tokens")]
    public async Task TheFollower_ServesReads(string path)
    {
        using var follower = Client(_pair.Second);
        using var response = await follower.GetAsync(new Uri(path, UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task WithNoLeader_TheFollowerSaysWhy_AndNamesNoLeader()
    {
        _pair.Directory.Lead(null, "etcd does not answer (Unavailable: connection refused); writing nothing until it does");
        using var follower = Client(_pair.Second);
        using var response = await follower.PostAsync(new Uri("api/v1/sync", UriKind.Relative), content: null);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        var answer = JsonSerializer.Deserialize<NotLeaderAnswer>(await response.Content.ReadAsStringAsync(), Json)!;
        Assert.Null(answer.Leader);
        Assert.Equal("this replica (r2) is not the leader and no leader is known (etcd does not answer (Unavailable: connection refused); writing nothing until it does); retry in a few seconds or at another replica", answer.Error);
    }

    [Fact]
    public async Task AnAnonymousCaller_IsRefusedWithoutAnyReplicasAddress()
    {
        using var anonymous = new HttpClient(CaTrust.Handler(_pair.First.Pki.Ca)) { BaseAddress = new Uri(_pair.Second.Address + "/") };
        using var response = await anonymous.PostAsync(new Uri("api/v1/webhooks/git", UriKind.Relative), JsonContent("{}"));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        var body = await response.Content.ReadAsStringAsync();
        Assert.DoesNotContain(_pair.First.Address, body, StringComparison.Ordinal);
        Assert.False(response.Headers.Contains(LeaderHint.ApiUrlHeader));
        Assert.Null(JsonSerializer.Deserialize<NotLeaderAnswer>(body, Json)!.Leader);
    }

    [Fact]
    public async Task Status_OnEitherReplica_NamesTheLeaderAndEveryReplicaWithItsRole()
    {
        foreach (var (host, name) in new[] { (_pair.First, "r1"), (_pair.Second, "r2") })
        {
            using var client = Client(host);
            var status = JsonSerializer.Deserialize<StatusModel>(await client.GetStringAsync(new Uri("api/v1/status", UriKind.Relative)), Json)!;
            var replication = status.Replication!;
            Assert.Equal(name, replication.Replica);
            Assert.Equal("r1", replication.Leader);
            Assert.Null(replication.Why);
            Assert.Equal(
                [("r1", "leader", _pair.First.Address, _pair.First.AgentAddress), ("r2", "follower", _pair.Second.Address, _pair.Second.AgentAddress)],
                replication.Replicas.Select(r => (r.Name, r.Role, r.ApiUrl, r.AgentUrl)));
        }
    }

    [Fact]
    public async Task AfterATakeover_TheOldLeaderRefuses_AndTheNewOneServes()
    {
        _pair.Directory.Lead("r2");
        using var first = Client(_pair.First);
        using var second = Client(_pair.Second);

        using var refused = await first.PostAsync(new Uri("api/v1/sync", UriKind.Relative), content: null);
        using var served = await second.PostAsync(new Uri("api/v1/sync", UriKind.Relative), content: null);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
        Assert.Equal(_pair.Second.Address, JsonSerializer.Deserialize<NotLeaderAnswer>(await refused.Content.ReadAsStringAsync(), Json)!.Leader);
        Assert.Equal(HttpStatusCode.OK, served.StatusCode);
    }

    [Fact]
    public async Task NodeCalls_ToTheFollower_AreRefusedWithTheLeadersNodeEndpoint_ButItsCaIsServed()
    {
        using var certificate = _pair.First.Pki.IssueNodeCertificate("node-r");
        using var channel = GrpcChannel.ForAddress(_pair.Second.AgentAddress!, new GrpcChannelOptions { HttpHandler = CaTrust.Handler(_pair.First.Pki.Ca, certificate), DisposeHttpClient = true });
        var client = new NodeService.NodeServiceClient(channel);

        var ca = await client.GetClusterCaAsync(new ClusterCaRequest());
        Assert.Equal(_pair.First.Pki.CaPem, ca.CertificatePem);

        var join = await Assert.ThrowsAsync<RpcException>(async () => await client.JoinAsync(new JoinRequest { Token = "x", Node = "node-r" }));
        var heartbeat = await Assert.ThrowsAsync<RpcException>(async () => await client.HeartbeatAsync(new NodeHeartbeat { Node = "node-r" }));
        var watch = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            using var call = client.WatchAssignments(new WatchRequest { Node = "node-r", Since = -1 });
            await call.ResponseStream.MoveNext(CancellationToken.None);
        });
        foreach (var refused in new[] { join, heartbeat, watch })
        {
            Assert.Equal(StatusCode.FailedPrecondition, refused.StatusCode);
            Assert.Equal(_pair.First.AgentAddress, refused.Trailers.GetValue(LeaderHint.AgentUrlTrailer));
            Assert.Equal("r1", refused.Trailers.GetValue(LeaderHint.NameTrailer));
            Assert.Equal($"this replica (r2) is a follower; the leader is r1 at {_pair.First.AgentAddress}; connect there", refused.Status.Detail);
        }

        Assert.Null(_pair.Second.Controller.Agents.LastSeen("node-r"));
    }

    [Fact]
    public async Task NodeCalls_WithNoLeaderKnown_AreUnavailable()
    {
        _pair.Directory.Lead(null, "etcd has lost quorum");
        using var certificate = _pair.First.Pki.IssueNodeCertificate("node-r");
        using var channel = GrpcChannel.ForAddress(_pair.First.AgentAddress!, new GrpcChannelOptions { HttpHandler = CaTrust.Handler(_pair.First.Pki.Ca, certificate), DisposeHttpClient = true });
        var client = new NodeService.NodeServiceClient(channel);

        var refused = await Assert.ThrowsAsync<RpcException>(async () => await client.HeartbeatAsync(new NodeHeartbeat { Node = "node-r" }));
        Assert.Equal(StatusCode.Unavailable, refused.StatusCode);
        Assert.Contains("etcd has lost quorum", refused.Status.Detail, StringComparison.Ordinal);
        Assert.Null(refused.Trailers.GetValue(LeaderHint.AgentUrlTrailer));
    }

    [Fact]
    public async Task ASingleProcessController_ShowsItselfAsTheLeader_AndServesWrites()
    {
        using var repo = GitRepo.Init();
        repo.Write("README.md", "config\n").Commit("Empty config");
        using var state = new TempDir("gitorch-single");
        await using var host = await ControllerHost.StartAsync(Controllers.Options(repo.Root, state.Path), logging: null, TimeProvider.System, CancellationToken.None);
        using var client = host.AdminCredentials.CreateHttpClient();

        var status = JsonSerializer.Deserialize<StatusModel>(await client.GetStringAsync(new Uri("api/v1/status", UriKind.Relative)), Json)!;
        using var sync = await client.PostAsync(new Uri("api/v1/sync", UriKind.Relative), content: null);

        Assert.Equal("leader", status.Replication!.Role);
        Assert.Equal(status.Replication.Replica, status.Replication.Leader);
        Assert.Equal([("leader", host.Address)], status.Replication.Replicas.Select(r => (r.Role, r.ApiUrl)));
        Assert.IsType<SingleReplicaRole>(host.Role);
        Assert.Equal(HttpStatusCode.OK, sync.StatusCode);
    }

    private static HttpClient Client(ControllerHost host) =>
        (host.AdminCredentials with { Server = host.Address }).CreateHttpClient();

    private static StringContent JsonContent(string json) => new(json, System.Text.Encoding.UTF8, "application/json");
}
