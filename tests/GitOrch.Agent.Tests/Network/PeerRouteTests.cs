using GitOrch.Agent.Network;
using GitOrch.Agent.Runtimes;
using GitOrch.Agent.Tests.Support;
using GitOrch.Core.AgentApi;
using Microsoft.Extensions.Logging;

namespace GitOrch.Agent.Tests.Network;

/// <summary>
/// Routes to other nodes in a node network namespace the test creates (root, iproute2): installed
/// via the peer's underlay, refused with the reason when they would black-hole traffic (a shared
/// /64, no usable underlay, a hostile subnet), said to be unreachable when the underlay does not
/// answer, and removed when the node leaves. Pod addresses an agent gets are checked as hostile.
/// </summary>
public sealed class PeerRouteTests : IAsyncLifetime
{
    private const string Own = "fd5e:4321:1:1::/64";
    private const string Peer = "fd5e:4321:1:2::/64";
    private readonly NetnsScope _netns = new();
    private readonly LogSink _log = new();
    private readonly TempDir _state = new("gitorch-agent-state");
    private string _node = string.Empty;
    private NodeNetworking? _network;

    public Task InitializeAsync()
    {
        if (NetnsFactAttribute.Available)
        {
            _node = _netns.Create("n");
            var peer = _netns.Create("p");
            _netns.Link(_node, peer, ["fd5e:98::1/64"], ["fd5e:98::2/64"]);
            _network = new NodeNetworking(_state.Path, _node, _log.Factory().CreateLogger("GitOrch.Agent.Network"));
        }

        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _netns.DisposeAsync();
        _state.Dispose();
    }

    private string Routes() => Shell.TryRun(null, "ip", "-n", _node, "-6", "route", "show", "proto", NodeNetworking.PeerRouteProtocol).Output;

    [NetnsFact]
    public async Task APeersSlash64_IsRoutedViaItsUnderlay_AndEveryUnusablePeerIsRefusedOrFlagged_NeverSilently()
    {
        PeerNode[] peers =
        [
            new("good", Peer, "fd5e:98::2"),
            new("same-as-this-node", Own, "fd5e:98::2"),
            new("same-as-good", Peer, "fd5e:98::2"),
            new("no-underlay", "fd5e:4321:1:3::/64", null),
            new("loopback", "fd5e:4321:1:4::/64", "::1"),
            new("hostile-subnet", "-n", "fd5e:98::2"),
            new("not-a-64", "fd5e:4321:1:5::/48", "fd5e:98::2"),
            new("off-link", "fd5e:4321:1:6::/64", "fd5e:55::9"),
            new("silent", "fd5e:4321:1:7::/64", "fd5e:98::3"),
        ];

        await _network!.ApplyAsync(new NodeNetwork(Own, false, peers), CancellationToken.None);

        var states = _network.PeerRoutes.ToDictionary(r => r.Node);
        Assert.Equal("installed", states["good"].State);
        Assert.Contains($"{Peer} via fd5e:98::2", Routes(), StringComparison.Ordinal);
        Assert.Equal("refused", states["same-as-this-node"].State);
        Assert.StartsWith($"node same-as-this-node's /64 {Own} is also this node's; two nodes must never share a /64", states["same-as-this-node"].Problem, StringComparison.Ordinal);
        Assert.StartsWith($"node same-as-good's /64 {Peer} is also node good's", states["same-as-good"].Problem, StringComparison.Ordinal);
        Assert.Equal("node no-underlay reported no underlay address; start its agent with --address ADDR", states["no-underlay"].Problem);
        Assert.Contains("cannot be a next hop (loopback, link-local or unspecified)", states["loopback"].Problem, StringComparison.Ordinal);
        Assert.Equal("node hostile-subnet's subnet \"-n\" is not an IPv6 /64 (such as fd12:3456:789a:2::/64)", states["hostile-subnet"].Problem);
        Assert.Equal("refused", states["not-a-64"].State);
        Assert.StartsWith("cannot route node off-link's fd5e:4321:1:6::/64 via fd5e:55::9:", states["off-link"].Problem, StringComparison.Ordinal);
        Assert.Equal("unreachable", states["silent"].State);
        Assert.StartsWith("node silent's underlay fd5e:98::3 does not answer from this node", states["silent"].Problem, StringComparison.Ordinal);
        Assert.Equal(["fd5e:4321:1:2::/64", "fd5e:4321:1:7::/64"], Routes().Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split(' ')[0]).Order(StringComparer.Ordinal));
        Assert.Contains("Route to node same-as-this-node not installed", _log.Text, StringComparison.Ordinal);

        await _network.ApplyAsync(new NodeNetwork(Own, false, [peers[0]]), CancellationToken.None);
        Assert.Equal(["fd5e:4321:1:2::/64"], Routes().Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split(' ')[0]));

        await _network.ApplyAsync(new NodeNetwork(Own, false, []), CancellationToken.None);
        Assert.Equal(string.Empty, Routes().Trim());
        Assert.Contains($"Route to {Peer} removed", _log.Text, StringComparison.Ordinal);
    }

    [NetnsFact]
    public async Task ForwardingIsTurnedOn_WithTheFirstPodNetwork_AndAnInterfaceThatTakesRouterAdvertisementsKeepsThem()
    {
        var iface = Shell.TryRun(null, "ip", "-n", _node, "-o", "link", "show").Output.Split('\n').Select(l => l.Split(':'))
            .Where(p => p.Length > 2).Select(p => p[1].Trim().Split('@')[0]).First(n => n.StartsWith('u'));
        NetnsScope.Exec(_node, "sysctl", "-qw", "net.ipv6.conf.all.forwarding=0");
        NetnsScope.Exec(_node, "sysctl", "-qw", $"net.ipv6.conf.{iface}.accept_ra=1");

        await _network!.ApplyAsync(new NodeNetwork(Own, false, []), CancellationToken.None);
        Assert.Equal("0", NetnsScope.Exec(_node, "sysctl", "-n", "net.ipv6.conf.all.forwarding").Output.Trim()); // No pod network yet: the host is left alone.

        try
        {
            await _network.SetUpPodAsync("Pod/test/first", "fd5e:4321:1:1::77", CancellationToken.None);

            Assert.Equal("1", NetnsScope.Exec(_node, "sysctl", "-n", "net.ipv6.conf.all.forwarding").Output.Trim());
            Assert.Equal("2", NetnsScope.Exec(_node, "sysctl", "-n", $"net.ipv6.conf.{iface}.accept_ra").Output.Trim());
            Assert.Contains($"Interface {iface} takes router advertisements: accept_ra set to 2", _log.Text, StringComparison.Ordinal);
            Assert.Contains("dev " + _network.HostInterface("Pod/test/first"), Shell.TryRun(null, "ip", "-n", _node, "-6", "route", "show", "fd5e:4321:1:1::77/128").Output, StringComparison.Ordinal);
        }
        finally
        {
            await _network.TearDownPodAsync("Pod/test/first", CancellationToken.None);
        }

        Assert.False(File.Exists("/var/run/netns/" + _network.PodNamespace("Pod/test/first")));
    }

    [NetnsFact]
    public async Task ThereIsNoNetworkProblem_WithAPlainNode_AndABadSubnetFromTheControllerIsOne()
    {
        await _network!.ApplyAsync(new NodeNetwork(Own, false, []), CancellationToken.None);
        Assert.Null(_network.Problem);

        await _network.ApplyAsync(new NodeNetwork("fd5e::/48; ip link delete", false, [new("good", Peer, "fd5e:98::2")]), CancellationToken.None);

        Assert.StartsWith("the controller gave this node the subnet \"fd5e::/48; ip link delete\", which is not an IPv6 /64", _network.Problem, StringComparison.Ordinal);
        Assert.Empty(_network.PeerRoutes);
    }

    [NetnsFact]
    public async Task AHostilePodAddress_IsRefusedBeforeAnyCommandRuns()
    {
        await _network!.ApplyAsync(new NodeNetwork(Own, false, []), CancellationToken.None);

        foreach (var (address, says) in new[]
        {
            ("-n", "is not an IPv6 address"),
            ("fd5e:4321:1:1::5/64", "is not an IPv6 address"),
            ("10.0.0.5", "is not an IPv6 address"),
            ("fe80::1", "is link-local, multicast, loopback or unspecified"),
            ("ff02::1", "is link-local, multicast, loopback or unspecified"),
            ("::", "is link-local, multicast, loopback or unspecified"),
            ("fd5e:4321:1:2::5", "is not in this node's /64 fd5e:4321:1:1::/64; it belongs to another node"),
        })
        {
            var error = await Assert.ThrowsAsync<RuntimeException>(() => _network.SetUpPodAsync("Pod/test/hostile", address, CancellationToken.None));
            Assert.Contains(says, error.Message, StringComparison.Ordinal);
        }

        Assert.False(File.Exists("/var/run/netns/" + _network.PodNamespace("Pod/test/hostile")));
    }

    [Theory]
    [InlineData("http://127.0.0.1:7780", "127.0.0.1")]
    [InlineData("http://[::1]:7780", "::1")]
    public void TheDefaultUnderlay_IsTheLocalAddressTheAgentReachesTheControllerFrom(string server, string expected) =>
        Assert.Equal(expected, NodeNetworking.LocalAddressTowards(new Uri(server)));
}
