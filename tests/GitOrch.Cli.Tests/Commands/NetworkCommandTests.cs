using System.Text.Json.Nodes;
using GitOrch.Cli.Tests.Support;
using GitOrch.Core.AgentApi;
using GitOrch.Core.Diagnostics;
using GitOrch.Core.Manifests;

namespace GitOrch.Cli.Tests.Commands;

/// <summary>
/// The operator's connectivity check against a real controller: <c>why POD</c> shows the pod's
/// address, what its node sees (veth, /128 route, IPv4 egress) and the node's routes to its peers;
/// <c>nodes</c> shows each node's /64, underlay and route states; problems are named, never silent.
/// And <c>agent --address</c> refuses an address other nodes cannot route to.
/// </summary>
public sealed class NetworkCommandTests : IAsyncLifetime
{
    private static readonly ObjectRef Web = new("Pod", "demo", "web");
    private RunningController? _controller;

    private RunningController Controller => _controller!;

    public async Task InitializeAsync()
    {
        _controller = await RunningController.StartAsync();
        Controller.Repo.Write("apps/web.yaml", """
            apiVersion: gitorch.dev/v1
            kind: Pod
            metadata: {name: web, namespace: demo}
            spec:
              containers:
                - name: main
                  image: busybox:1.35
                  command: [httpd, -f, -p, "8080"]
                  ports: [{name: http, port: 8080}]

            """);
        Controller.Repo.Commit("Add web");
        await Controller.SyncAsync();
        await Controller.WaitForAsync(Web, t => t.Find("ipam")?.State == GitOrch.Workflow.Model.UnitState.Done, "ipam gives the pod its address");
    }

    public async Task DisposeAsync()
    {
        if (_controller is not null)
        {
            await _controller.DisposeAsync();
        }
    }

    private string PodIp() => ManifestJson.Parse(Controller.Host.Controller.Store.Get(Web)!.ObjectJson)["status"]!["podIP"]!.ToString();

    private void Heartbeat(string node, string underlay, PodNetworkReport? pod, params PeerRouteReport[] peers) =>
        Controller.Host.Controller.Agents.Heartbeat(new NodeHeartbeat(node, new Dictionary<string, string>(), 4000, 4L << 30, ["busybox:1.35"],
            pod is null ? [] : [new PodReport("Pod/demo/web", "g1", "Running", 0, null, [], pod)], ["oci"], underlay, peers));

    [Fact]
    public async Task Why_ShowsTheAddress_TheVethAndRouteOnTheNode_AndThePeerRoutes()
    {
        var ip = PodIp();
        Heartbeat("node-b", "fd00:10::b", null);
        Heartbeat("node-a", "fd00:10::a", new PodNetworkReport(ip, "go0123456789ab", true, true, "100.64.1.2", null),
            new PeerRouteReport("node-b", "fd67:6974:6f72:2::/64", "fd00:10::b", "installed", null));

        var (_, stdout, _) = await Controller.RunAsync("why", "web", "-n", "demo");

        var lines = stdout.Split('\n');
        Assert.Contains($"Network: {ip} in fd67:6974:6f72:1::/64 of node-a (underlay fd00:10::a).", lines);
        Assert.Contains($"  on node  veth go0123456789ab up, route {ip}/128 present, IPv4 egress 100.64.1.2 (node-local, masqueraded)", lines);
        Assert.Contains("  peer     node-b fd67:6974:6f72:2::/64 via fd00:10::b: installed", lines);
        Assert.DoesNotContain(lines, l => l.StartsWith("  problem", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Why_NamesAMissingRoute_AndAnUnreachablePeer_AsProblems()
    {
        var ip = PodIp();
        Heartbeat("node-b", "fd00:10::b", null);
        Heartbeat("node-a", "fd00:10::a", new PodNetworkReport(ip, "go0123456789ab", true, false, null, $"no route to {ip} on this node"),
            new PeerRouteReport("node-b", "fd67:6974:6f72:2::/64", "fd00:10::b", "unreachable", "node node-b's underlay fd00:10::b does not answer from this node"));

        var (_, stdout, _) = await Controller.RunAsync("why", "web", "-n", "demo");

        var lines = stdout.Split('\n');
        Assert.Contains($"  on node  veth go0123456789ab up, route {ip}/128 missing: no route to {ip} on this node", lines);
        Assert.Contains("  peer     node-b fd67:6974:6f72:2::/64 via fd00:10::b: unreachable", lines);
        Assert.Contains("  problem  route to node-b (fd67:6974:6f72:2::/64) unreachable: node node-b's underlay fd00:10::b does not answer from this node", lines);
    }

    [Fact]
    public async Task Why_WithoutAReportFromTheNode_SaysSo()
    {
        var (_, stdout, _) = await Controller.RunAsync("why", "web", "-n", "demo");

        Assert.Contains($"Network: {PodIp()} in fd67:6974:6f72:1::/64 of node-a.", stdout.Split('\n'));
        Assert.Contains("  on node  no report from the node about this pod's network yet", stdout.Split('\n'));
    }

    [Fact]
    public async Task Nodes_ShowsEachNodesSubnetAndUnderlay_ItsRoutes_AndItsProblems()
    {
        Heartbeat("node-b", "127.0.0.1", null);
        Heartbeat("node-a", "fd00:10::a", null, new PeerRouteReport("node-b", "fd67:6974:6f72:2::/64", "127.0.0.1", "refused", "node node-b's underlay address \"127.0.0.1\" cannot be a next hop"));

        var (exit, stdout, _) = await Controller.RunAsync("nodes");

        Assert.Equal(0, exit);
        var lines = stdout.Split('\n');
        Assert.Contains("SUBNET", lines[0], StringComparison.Ordinal);
        Assert.Contains(lines, l => l.StartsWith("node-a ", StringComparison.Ordinal) && l.Contains(" fd67:6974:6f72:1::/64 ", StringComparison.Ordinal) && l.Contains(" fd00:10::a ", StringComparison.Ordinal));
        Assert.Contains("node-a: route to node-b fd67:6974:6f72:2::/64 via 127.0.0.1: refused", lines);
        Assert.Contains("node-a: problem: route to node-b (fd67:6974:6f72:2::/64) refused: node node-b's underlay address \"127.0.0.1\" cannot be a next hop", lines);
        Assert.Contains(lines, l => l.StartsWith("node-b: problem: underlay address 127.0.0.1 cannot be reached from other nodes", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("127.0.0.1", "--address 127.0.0.1 is loopback, link-local or unspecified")]
    [InlineData("fe80::1", "--address fe80::1 is loopback, link-local or unspecified")]
    [InlineData("::", "--address :: is loopback, link-local or unspecified")]
    [InlineData("fd00::1/64", "--address \"fd00::1/64\" is not an IP address")]
    [InlineData("node-a.example", "--address \"node-a.example\" is not an IP address")]
    public void Agent_RefusesAnAddressOtherNodesCannotRouteTo(string address, string says)
    {
        var (exit, _, stderr) = CliRunner.Run("agent", "--server", "https://127.0.0.1:1", "--node", "n1", "--state", Path.GetTempPath(), "--address", address);

        Assert.Equal(1, exit);
        Assert.Contains(says, stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Agent_RefusesANetnsThatDoesNotExist()
    {
        var (exit, _, stderr) = CliRunner.Run("agent", "--server", "https://127.0.0.1:1", "--node", "n1", "--state", Path.GetTempPath(), "--netns", "../etc");

        Assert.Equal(1, exit);
        Assert.Contains("--netns \"../etc\" is not a network namespace of this machine (see `ip netns list`)", stderr, StringComparison.Ordinal);
    }
}
