using GitOrch.Agent.Tests.Support;
using GitOrch.Contracts.Trust;
using GitOrch.Controller;
using GitOrch.Controller.Replication;
using GitOrch.Controller.Trust;
using Microsoft.Extensions.Logging;

namespace GitOrch.Agent.Tests;

/// <summary>
/// A node agent against two real controller replicas of one cluster (r1 leads, r2 follows): given
/// the follower first, it joins and reports to the leader; after a takeover it moves to the new
/// leader; a "leader" a replica names outside the pinned CA never hears from it.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class NodeAgentReplicaTests : IAsyncLifetime
{
    private const string Node = "node-r";
    private readonly TempDir _agentState = new("gitorch-replica-agent");
    private readonly LogSink _log = new();
    private ReplicaPair _pair = null!;

    public async Task InitializeAsync() => _pair = await ReplicaPair.StartAsync(nodeEndpoints: true);

    public async Task DisposeAsync()
    {
        await _pair.DisposeAsync();
        _agentState.Dispose();
    }

    [Fact]
    public async Task GivenTheFollowerFirst_TheAgentJoinsTheLeader_AndMovesToTheNewLeaderAfterATakeover()
    {
        var (leader, follower) = (_pair.First, _pair.Second);
        await using var agent = Agent($"{follower.AgentAddress},{leader.AgentAddress}", JoinTokenOf(leader));
        using var stop = new CancellationTokenSource();
        var run = Task.Run(() => agent.RunAsync(stop.Token));
        try
        {
            await Eventually.True(() => leader.Controller.Agents.LastSeen(Node) is not null, "the agent to report to the leader");
            Assert.Equal(leader.AgentAddress, agent.Server);
            Assert.Null(follower.Controller.Agents.LastSeen(Node));
            Assert.Contains($"the controller at {follower.AgentAddress} is a follower replica: this replica (r2) is a follower; the leader is r1 at {leader.AgentAddress}", _log.Text, StringComparison.Ordinal);

            _pair.Directory.Lead("r2");

            await Eventually.True(() => follower.Controller.Agents.LastSeen(Node) is not null, "the agent to report to the new leader");
            Assert.Equal(follower.AgentAddress, agent.Server);
            Assert.Contains($"The controller at {leader.AgentAddress} is a follower replica; moving to the leader it named, {follower.AgentAddress}", _log.Text, StringComparison.Ordinal);
            Assert.False(run.IsCompleted, "the agent stopped");
        }
        finally
        {
            await stop.CancelAsync();
            await run;
        }
    }

    [Fact]
    public async Task ALeaderNamedOutsideThePinnedCa_NeverHearsFromTheAgent()
    {
        using (await GitOrch.Agent.Trust.AgentJoin.JoinAsync(_pair.First.AgentAddress!, JoinTokenOf(_pair.First), Node, _agentState.Path, CancellationToken.None))
        {
        }

        await using var impostor = new ListenerThatRecords(tls: true);
        _pair.Directory.Register(new ReplicaInfo("r9", null, impostor.Url, DateTimeOffset.UnixEpoch));
        _pair.Directory.Lead("r9");
        await using var agent = Agent(_pair.Second.AgentAddress!, joinToken: null);
        using var stop = new CancellationTokenSource();
        var run = Task.Run(() => agent.RunAsync(stop.Token));
        try
        {
            await Eventually.True(() => _log.Text.Contains($"Refusing the server at {impostor.Url}", StringComparison.Ordinal), "the agent to refuse the impostor");
            Assert.True(impostor.Connections >= 1, "the agent never tried the named leader, so the test shows nothing");
            Assert.Empty(impostor.Requests);
            Assert.Null(_pair.Second.Controller.Agents.LastSeen(Node));
        }
        finally
        {
            await stop.CancelAsync();
            await run;
        }
    }

    private NodeAgent Agent(string servers, string? joinToken) =>
        new(new AgentOptions { Server = servers, Node = Node, StateDir = _agentState.Path, JoinToken = joinToken, Heartbeat = TimeSpan.FromMilliseconds(200) }, _log.Factory(), TimeProvider.System);

    private static string JoinTokenOf(ControllerHost host) =>
        new JoinToken(host.Pki.CaHash, host.Tokens.Create(host.Tokens.NextName("join"), TokenStore.JoinKind, TokenStore.JoinRole, TimeSpan.FromHours(1), "test")).ToString();
}
