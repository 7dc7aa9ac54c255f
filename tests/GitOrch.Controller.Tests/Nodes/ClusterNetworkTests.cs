using GitOrch.Controller.Tests.Support;
using GitOrch.Core.AgentApi;
using static GitOrch.Controller.Tests.Support.Controllers;

namespace GitOrch.Controller.Tests.Nodes;

/// <summary>
/// What the controller hands each node about the pod network (its /64 of the policy's prefix,
/// egress, its live peers with their underlay addresses) and the problems it names for a node
/// instead of letting traffic vanish: a shared /64, a missing, unusable or shared underlay.
/// </summary>
public sealed class ClusterNetworkTests : IAsyncLifetime
{
    private readonly GitRepo _repo = GitRepo.Init();
    private readonly TempDir _state = new("gitorch-state");
    private ControllerService? _controller;

    private ControllerService Controller => _controller!;

    public async Task InitializeAsync()
    {
        _repo.Write("cluster/policy.yaml", """
            apiVersion: gitorch.dev/v1
            kind: ClusterPolicy
            metadata: {name: cluster}
            spec:
              network: {podPrefix: "fd12:3456:789a::/48", ipv4Egress: true}

            """);
        _repo.Commit("A cluster prefix with IPv4 egress");
        _controller = await OpenAsync(_repo.Root, _state.Path);
        await Controller.SyncAsync();
    }

    public async Task DisposeAsync()
    {
        if (_controller is not null)
        {
            await _controller.DisposeAsync();
        }

        _repo.Dispose();
        _state.Dispose();
    }

    private void Heartbeat(string node, string? underlay) =>
        Controller.Agents.Heartbeat(new NodeHeartbeat(node, new Dictionary<string, string>(), 1000, 1L << 30, [], [], ["oci"], underlay));

    [Fact]
    public void EachNode_GetsItsOwnSlash64_TheEgressSetting_AndEveryOtherLiveNodeViaItsUnderlay()
    {
        Heartbeat("node-a", "fd00:10::a");
        Heartbeat("node-b", "fd00:10::b");
        Heartbeat("node-c", "10.0.0.3");

        var a = Controller.Network.For("node-a");
        var b = Controller.Network.For("node-b");
        _ = Controller.Network.For("node-c");

        Assert.Equal(("fd12:3456:789a:1::/64", true), (a.Subnet, a.Ipv4Egress));
        Assert.Equal("fd12:3456:789a:2::/64", b.Subnet);
        Assert.Equal(
            [new PeerNode("node-b", "fd12:3456:789a:2::/64", "fd00:10::b"), new PeerNode("node-c", "fd12:3456:789a:3::/64", "10.0.0.3")],
            a.Peers);
        Assert.Equal(["node-a", "node-c"], b.Peers.Select(p => p.Node));
        Assert.Empty(Controller.Network.Problems("node-a"));
    }

    [Fact]
    public void ANodeDeclaredDead_LeavesEveryPeerList_SoItsRouteGoes()
    {
        Heartbeat("node-a", "fd00:10::a");
        Heartbeat("node-b", "fd00:10::b");
        Controller.Nodes.MarkUnschedulable("node-b", "declared dead by an operator (gitorch node dead)");

        Assert.Empty(Controller.Network.For("node-a").Peers);
    }

    [Fact]
    public void ANodeSilentForAWhile_StaysAPeer_ItsPodsMayStillRun()
    {
        Heartbeat("node-a", "fd00:10::a");
        Heartbeat("node-b", "fd00:10::b");
        Controller.Nodes.MarkUnschedulable("node-b", "not ready: no heartbeat for 40s");

        Assert.Equal(["node-b"], Controller.Network.For("node-a").Peers.Select(p => p.Node));
    }

    [Fact]
    public void TwoNodesWithOneSlash64_AreAProblemOnBoth_NamingTheOther()
    {
        Heartbeat("node-a", "fd00:10::a");
        Heartbeat("node-b", "fd00:10::b");
        _ = Controller.Network.For("node-a");
        Controller.Store.SetMeta("ipam.subnet.node-b", Controller.Store.GetMeta("ipam.subnet.node-a")!); // A restored or edited state.

        Assert.StartsWith("node node-b has the same /64 fd12:3456:789a:1::/64", Assert.Single(Controller.Network.Problems("node-a")), StringComparison.Ordinal);
        Assert.StartsWith("node node-a has the same /64 fd12:3456:789a:1::/64", Assert.Single(Controller.Network.Problems("node-b")), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null, "no underlay address reported: other nodes have no route to fd12:3456:789a:")]
    [InlineData("127.0.0.1", "underlay address 127.0.0.1 cannot be reached from other nodes (loopback or link-local)")]
    [InlineData("fe80::5", "underlay address fe80::5 cannot be reached from other nodes (loopback or link-local)")]
    [InlineData("-n fd00::1", "underlay address \"-n fd00::1\" is not an IP address")]
    public void AnUnusableUnderlay_IsAProblem_OnceThereIsAnotherNode(string? underlay, string says)
    {
        Heartbeat("node-a", underlay);
        Assert.Empty(Controller.Network.Problems("node-a")); // Alone, nobody needs to reach it.

        Heartbeat("node-b", "fd00:10::b");

        Assert.StartsWith(says, Assert.Single(Controller.Network.Problems("node-a")), StringComparison.Ordinal);
    }

    [Fact]
    public void AHostileUnderlay_IsShownShortAndWithoutTerminalEscapes()
    {
        Heartbeat("node-a", "\u001b[2J\u001b]0;owned\u0007" + new string('x', 500));
        Heartbeat("node-b", "fd00:10::b");

        var problem = Assert.Single(Controller.Network.Problems("node-a"));

        Assert.DoesNotContain(problem, char.IsControl);
        Assert.StartsWith("underlay address \"?[2J?]0;owned?xxx", problem, StringComparison.Ordinal);
        Assert.True(problem.Length < 200, problem);
    }

    [Fact]
    public void AnUnderlayThatIsNotAnAddress_IsNeverHandedToOtherNodes()
    {
        Heartbeat("node-a", "fd00:10::a");
        Heartbeat("node-b", "fd00:10::b; ip route flush all");

        Assert.Null(Assert.Single(Controller.Network.For("node-a").Peers).Underlay);
    }

    [Fact]
    public void TwoNodesReportingOneUnderlay_AreAProblem()
    {
        Heartbeat("node-a", "fd00:10::a");
        Heartbeat("node-b", "fd00:10::a");

        Assert.Equal("node node-b reports the same underlay address fd00:10::a: routes to both /64s lead to one machine", Assert.Single(Controller.Network.Problems("node-a")));
    }

    [Fact]
    public void WhatTheNodeReports_ARefusedOrUnreachablePeerRoute_IsAProblemOfThatNode()
    {
        Heartbeat("node-b", "fd00:10::b");
        Controller.Agents.Heartbeat(new NodeHeartbeat("node-a", new Dictionary<string, string>(), 1000, 1L << 30, [], [], ["oci"], "fd00:10::a",
            [new PeerRouteReport("node-b", "fd12:3456:789a:2::/64", "fd00:10::b", "unreachable", "node node-b's underlay fd00:10::b does not answer from this node")]));

        Assert.Equal(
            "route to node-b (fd12:3456:789a:2::/64) unreachable: node node-b's underlay fd00:10::b does not answer from this node",
            Assert.Single(Controller.Network.Problems("node-a")));
    }
}
