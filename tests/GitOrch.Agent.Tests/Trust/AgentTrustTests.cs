using GitOrch.Agent.Tests.Support;
using GitOrch.Agent.Trust;
using GitOrch.Contracts.Trust;
using GitOrch.Controller;
using GitOrch.Controller.Trust;
using Microsoft.Extensions.Logging;

namespace GitOrch.Agent.Tests.Trust;

/// <summary>An agent joins a real controller with a join token, pins its CA, and then trusts that CA alone.</summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class AgentTrustTests : IAsyncLifetime
{
    private readonly GitRepo _repo = GitRepo.Init();
    private readonly TempDir _controllerState = new("gitorch-trust-controller");
    private readonly TempDir _otherState = new("gitorch-trust-other");
    private readonly TempDir _agentState = new("gitorch-trust-agent");
    private readonly LogSink _log = new();
    private ControllerHost? _host;

    public async Task InitializeAsync()
    {
        _repo.Write("README.md", "config\n").Commit("Empty config");
        _host = await Start(_controllerState.Path);
    }

    [Fact]
    public async Task Join_PinsTheCa_AndKeepsTheNodeCertificate_OwnerOnly()
    {
        var token = JoinTokenOf(_host!);
        using var identity = await AgentJoin.JoinAsync(_host!.AgentAddress!, token, "node-j", _agentState.Path, CancellationToken.None);

        Assert.Equal("node-j", identity.Node);
        Assert.Equal(_host.Pki.CaHash, CaTrust.Sha256Hex(identity.Ca));
        var pki = AgentIdentity.Folder(_agentState.Path);
        Assert.Equal(SecureFiles.FolderMode, File.GetUnixFileMode(pki));
        Assert.Equal(["ca.crt", "node.crt", "node.key"], Directory.GetFiles(pki).Select(Path.GetFileName).Order());
        Assert.All(Directory.GetFiles(pki), f => Assert.Equal(SecureFiles.FileMode, File.GetUnixFileMode(f)));
    }

    [Fact]
    public async Task Join_AtAServerOfAnotherCluster_StopsBeforeSendingTheSecret()
    {
        await using var other = await Start(_otherState.Path);
        var token = JoinTokenOf(_host!); // This cluster's token, shown to the other cluster's server.
        var refused = await Assert.ThrowsAsync<JoinException>(() => AgentJoin.JoinAsync(other.AgentAddress!, token, "node-j", _agentState.Path, CancellationToken.None));
        Assert.Contains($"presents a cluster CA with sha256 {other.Pki.CaHash}, but the join token pins {_host!.Pki.CaHash}", refused.Message, StringComparison.Ordinal);
        Assert.Contains("The token was not sent", refused.Message, StringComparison.Ordinal);
        Assert.False(AgentIdentity.Exists(_agentState.Path));
    }

    [Fact]
    public async Task AJoinedAgent_RefusesAServerOfAnotherCa_AndNeverHeartbeatsToIt()
    {
        using (await AgentJoin.JoinAsync(_host!.AgentAddress!, JoinTokenOf(_host), "node-j", _agentState.Path, CancellationToken.None))
        {
        }

        await using var other = await Start(_otherState.Path);
        using var stop = new CancellationTokenSource();
        await using var agent = new NodeAgent(new AgentOptions { Server = other.AgentAddress!, Node = "node-j", StateDir = _agentState.Path, Heartbeat = TimeSpan.FromMilliseconds(200) }, _log.Factory(), TimeProvider.System);
        var run = Task.Run(() => agent.RunAsync(stop.Token));
        try
        {
            await Eventually.True(() => _log.Text.Contains($"Refusing the server at {other.AgentAddress}", StringComparison.Ordinal), "the agent to refuse the other cluster's server");
            Assert.Contains("is not from the cluster CA", _log.Text, StringComparison.Ordinal);
            Assert.DoesNotContain(other.Controller.Nodes.All, n => n.Name == "node-j");
            Assert.Null(other.Controller.Agents.LastSeen("node-j"));
        }
        finally
        {
            await stop.CancelAsync();
            await run;
        }
    }

    [Fact]
    public async Task AnAgentThatNeverJoined_SaysHowToJoin()
    {
        await using var agent = new NodeAgent(new AgentOptions { Server = _host!.AgentAddress!, Node = "node-j", StateDir = _agentState.Path }, _log.Factory(), TimeProvider.System);
        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => agent.RunAsync(CancellationToken.None));
        Assert.Contains("has not joined a cluster", refused.Message, StringComparison.Ordinal);
        Assert.Contains("--join TOKEN", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AStateFolderOfAnotherNode_IsRefused()
    {
        using (await AgentJoin.JoinAsync(_host!.AgentAddress!, JoinTokenOf(_host), "node-j", _agentState.Path, CancellationToken.None))
        {
        }

        await using var agent = new NodeAgent(new AgentOptions { Server = _host.AgentAddress!, Node = "node-k", StateDir = _agentState.Path }, _log.Factory(), TimeProvider.System);
        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => agent.RunAsync(CancellationToken.None));
        Assert.Contains("holds the certificate of node node-j, not node-k", refused.Message, StringComparison.Ordinal);
    }

    private static string JoinTokenOf(ControllerHost host) =>
        new JoinToken(host.Pki.CaHash, host.Tokens.Create(host.Tokens.NextName("join"), TokenStore.JoinKind, TokenStore.JoinRole, TimeSpan.FromHours(1), "test")).ToString();

    private async Task<ControllerHost> Start(string state) =>
        await ControllerHost.StartAsync(
            new ControllerOptions { Repo = _repo.Root, StateDir = state, Listen = "https://127.0.0.1:0", AgentListen = "https://127.0.0.1:0", Poll = TimeSpan.FromHours(1) },
            b => b.AddProvider(_log), TimeProvider.System, CancellationToken.None);

    public async Task DisposeAsync()
    {
        if (_host is not null)
        {
            await _host.DisposeAsync();
        }

        _repo.Dispose();
        _controllerState.Dispose();
        _otherState.Dispose();
        _agentState.Dispose();
    }
}
