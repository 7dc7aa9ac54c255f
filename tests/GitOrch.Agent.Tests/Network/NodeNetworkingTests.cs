using System.Text.Json.Nodes;
using GitOrch.Agent.Images;
using GitOrch.Agent.Network;
using GitOrch.Agent.Pods;
using GitOrch.Agent.Runtimes;
using GitOrch.Agent.Tests.Support;
using GitOrch.Core.AgentApi;
using Microsoft.Extensions.Logging;

namespace GitOrch.Agent.Tests.Network;

/// <summary>
/// Real pod networking on one node (root, runc): the node is a network namespace the test creates,
/// its pods are busybox containers under runc, and traffic is real TCP to real listening ports.
/// </summary>
public sealed class NodeNetworkingTests : IAsyncLifetime
{
    private const string Subnet = "fd5e:1234:5678:1::/64";
    private const string Underlay = "fd5e:1234:ffff::1";
    private readonly SupervisorScope _scope = new();
    private readonly NetnsScope _netns = new();
    private readonly List<string> _pods = [];
    private ImageStore? _images;
    private NodeNetworking? _network;
    private RuncDriver? _driver;
    private string _node = string.Empty;

    public async Task InitializeAsync()
    {
        if (!RuncFactAttribute.Available)
        {
            return;
        }

        try
        {
            using var source = new TempDir("gitorch-busybox");
            _images = new ImageStore(_scope.State.Combine("images"));
            await _images.ImportAsync("busybox:1.35", BusyboxRootfs.Build(source.Path), CancellationToken.None);
            _node = _netns.Create("n");
            Shell.Run("ip", "-n", _node, "link", "add", "under0", "type", "veth", "peer", "name", "under1");
            Shell.Run("ip", "-n", _node, "link", "set", "under1", "up");
            Shell.Run("ip", "-n", _node, "addr", "add", Underlay + "/64", "dev", "under0", "nodad");
            Shell.Run("ip", "-n", _node, "link", "set", "under0", "up");
            _network = new NodeNetworking(_scope.State.Path, _node, _scope.Log.Factory().CreateLogger("GitOrch.Agent.Network"));
            _driver = new RuncDriver(_scope.State.Path, _network);
        }
        catch
        {
            await DisposeAsync();
            throw;
        }
    }

    public async Task DisposeAsync()
    {
        await _scope.DisposeAsync();
        foreach (var pod in _pods)
        {
            await RuncDriver.RuncAsync(["delete", "--force", RuncDriver.ContainerId(pod, "main", _scope.State.Path)], CancellationToken.None, ignoreErrors: true);
            if (_network is not null)
            {
                await _network.TearDownPodAsync(pod, CancellationToken.None);
            }
        }

        await _netns.DisposeAsync();
    }

    private static string Address(string interfaceId) => Subnet.Replace("::/64", "::" + interfaceId, StringComparison.Ordinal);

    private async Task<PodSupervisor> StartPodAsync(string address, string script)
    {
        var pod = TestPods.Key("net");
        _pods.Add(pod);
        var spec = TestPods.OciSpec($"{script} # {_scope.Marker}");
        var assignment = TestPods.Assignment(pod, "g1", spec, graceSeconds: 1) with { PodIP = address };
        var supervisor = new PodSupervisor(assignment, _scope.State.Path, name => name == "oci" ? _driver : null, _images!.Rootfs, TimeProvider.System,
            _scope.Log.Factory().CreateLogger("GitOrch.Agent.Pods"));
        await supervisor.StartAsync(CancellationToken.None);
        await Eventually.Until(supervisor.Report, r => r.Phase is "Running" or "Failed", $"{pod} to start");
        return supervisor;
    }

    private static string Ip(params string[] args) => Shell.TryRun(null, "ip", args).Output;

    /// <summary>Connects from inside <paramref name="ns"/> until the listener answers (bounded), and returns what it said.</summary>
    private static async Task<string> AskAsync(string ns, string address, int port) =>
        (await Eventually.Until(() => NetnsScope.Exec(ns, "busybox", "nc", "-w", "2", address, port.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            r => r.Output.Length > 0, $"{address} port {port} to answer from namespace {ns}")).Output;

    [RuncFact]
    public async Task TheNodeReachesAPod_ByItsIpv6Address_OnARealListeningPort_ThroughGatewayFe80Colon1()
    {
        var address = Address("a1");
        var server = await StartPodAsync(address, "nc -ll -p 8080 -e echo pong");

        Assert.Equal("pong\n", await AskAsync(_node, address, 8080));

        var podNs = _network!.PodNamespace(server.Pod);
        Assert.Contains("default via fe80::1 dev eth0", Ip("-n", podNs, "-6", "route", "show", "default"), StringComparison.Ordinal);
        Assert.Contains("inet6 fe80::1/64", Ip("-n", _node, "-6", "addr", "show", "dev", _network.HostInterface(server.Pod)), StringComparison.Ordinal);
        Assert.Equal("1", NetnsScope.Exec(_node, "sysctl", "-n", "net.ipv6.conf.all.forwarding").Output.Trim());
        var report = await _network.InspectPodAsync(server.Pod, address, CancellationToken.None);
        Assert.Equal((address, true, true, (string?)null), (report.Address, report.InterfacePresent, report.RoutePresent, report.Problem));
    }

    [RuncFact]
    public async Task APodReachesAnotherPodOnTheSameNode_ByIpv6()
    {
        var serverAddress = Address("b1");
        await StartPodAsync(serverAddress, "nc -ll -p 8080 -e echo pong-from-b1");

        var client = await StartPodAsync(Address("b2"), $"until nc -w 2 {serverAddress} 8080 > /tmp/answer; [ -s /tmp/answer ]; do sleep 0.2; done; cat /tmp/answer; echo asked; sleep 300");

        var log = await Eventually.Until(() => TestPods.ReadLog(client), l => l.Contains("asked\n", StringComparison.Ordinal), "the client pod to get an answer");
        Assert.Contains("pong-from-b1\n", log, StringComparison.Ordinal);
    }

    [RuncFact]
    public async Task AStoppedPod_LeavesNoVeth_NoRoute_AndNoNamespace_AndAnInPlaceRestartKeepsTheAddress()
    {
        var address = Address("c1");
        var pod = await StartPodAsync(address, "nc -ll -p 8080 -e echo pong");
        var veth = _network!.HostInterface(pod.Pod);
        Assert.Contains($"dev {veth}", Ip("-n", _node, "-6", "route", "show", address + "/128"), StringComparison.Ordinal);

        await pod.UpdateAsync(pod.Assignment with { Generation = "g2", Spec = pod.Assignment.Spec }, CancellationToken.None);
        await Eventually.Until(pod.Report, r => r.Phase == "Running" && r.Generation == "g2", "the in-place restart");
        Assert.Equal("pong\n", await AskAsync(_node, address, 8080));

        await _scope.StopAsync(pod);

        Assert.Equal(string.Empty, Ip("-n", _node, "-6", "route", "show", address + "/128").Trim());
        Assert.NotEqual(0, Shell.TryRun(null, "ip", "-n", _node, "link", "show", "dev", veth).Code);
        Assert.False(File.Exists("/var/run/netns/" + _network.PodNamespace(pod.Pod)), "the pod's network namespace is removed");
    }

    /// <summary>
    /// The loopback MTU in the pod's namespace: the test marks the namespace by changing it (a
    /// namespace set up afresh has the default). Namespace inode numbers cannot tell two namespaces
    /// apart: the kernel gives a new namespace the number of one it has just freed.
    /// </summary>
    private static string LoopbackMtu(string ns) => Ip("-n", ns, "-o", "link", "show", "dev", "lo").Split(' ').SkipWhile(w => w != "mtu").Skip(1).FirstOrDefault() ?? "none";

    [RuncFact]
    public async Task AnInPlaceRestart_KeepsThePodsNetworkNamespace_AndANewAddressGetsAFreshOne()
    {
        var address = Address("d1");
        var pod = await StartPodAsync(address, "nc -ll -p 8080 -e echo pong");
        var ns = _network!.PodNamespace(pod.Pod);
        Shell.Run("ip", "-n", ns, "link", "set", "dev", "lo", "mtu", "1280");
        Assert.Equal("1280", LoopbackMtu(ns));

        await pod.UpdateAsync(pod.Assignment with { Generation = "g2" }, CancellationToken.None);
        await Eventually.Until(pod.Report, r => r.Phase == "Running" && r.Generation == "g2", "the in-place restart");
        Assert.Equal("1280", LoopbackMtu(ns)); // The same namespace.
        Assert.Equal("pong\n", await AskAsync(_node, address, 8080));

        var moved = Address("d2");
        await pod.UpdateAsync(pod.Assignment with { Generation = "g3", PodIP = moved }, CancellationToken.None);
        await Eventually.Until(pod.Report, r => r.Phase == "Running" && r.Generation == "g3", "the restart on a new address");
        Assert.Equal("65536", LoopbackMtu(ns)); // Set up afresh.
        Assert.Equal("pong\n", await AskAsync(_node, moved, 8080));
        Assert.Equal(string.Empty, Ip("-n", _node, "-6", "route", "show", address + "/128").Trim());
    }

    [Fact]
    public void TheSandboxIsKept_OnlyForTheSameRuntimeAddressAndSecuritySettings()
    {
        var pod = TestPods.Key("keep");
        var oci = TestPods.Assignment(pod, "g1", TestPods.OciSpec("sleep 1")) with { PodIP = Address("e1") };
        var hostNetwork = TestPods.Assignment(pod, "g2", TestPods.OciSpec("sleep 1", new JsonObject { ["hostNetwork"] = true })) with { PodIP = Address("e1") };
        var gvisorSpec = TestPods.OciSpec("sleep 1");
        gvisorSpec["runtime"] = "gvisor";
        var gvisor = TestPods.Assignment(pod, "g3", gvisorSpec) with { PodIP = Address("e1") };

        Assert.True(PodSupervisor.KeepsSandbox(oci, oci with { Generation = "g9" }));
        Assert.False(PodSupervisor.KeepsSandbox(oci, oci with { Generation = "g9", PodIP = Address("e2") }));
        Assert.False(PodSupervisor.KeepsSandbox(oci, hostNetwork));
        Assert.False(PodSupervisor.KeepsSandbox(oci, gvisor));

        // A definition that takes a permission away gets a fresh namespace: what the old generation
        // set inside it (a net.* sysctl, a route added with NET_ADMIN) must not outlive the permission.
        var sysctl = TestPods.Assignment(pod, "g4", TestPods.OciSpec("sleep 1", new JsonObject { ["sysctls"] = new JsonObject { ["net.ipv4.ip_unprivileged_port_start"] = "80" } })) with { PodIP = Address("e1") };
        var netAdmin = TestPods.Assignment(pod, "g5", TestPods.OciSpec("sleep 1", new JsonObject { ["capabilities"] = new JsonArray("NET_ADMIN") })) with { PodIP = Address("e1") };
        Assert.False(PodSupervisor.KeepsSandbox(sysctl, oci));
        Assert.False(PodSupervisor.KeepsSandbox(netAdmin, oci));
        Assert.True(PodSupervisor.KeepsSandbox(sysctl, sysctl with { Generation = "g9" }));
    }

    [RuncFact]
    public async Task AnAddressAlreadyRoutedOnTheNode_FailsThePod_NamingTheRoute_InsteadOfStealingIt()
    {
        var address = Address("d1");
        Shell.Run("ip", "-n", _node, "-6", "route", "add", address + "/128", "dev", "under0");

        var pod = await StartPodAsync(address, "sleep 300");

        var report = pod.Report();
        Assert.Equal("Failed", report.Phase);
        Assert.Contains($"address {address} is already routed on this node ({address} dev under0", report.Containers.Single().State + " " + report.Message, StringComparison.Ordinal);
        Assert.Contains($"dev under0", Ip("-n", _node, "-6", "route", "show", address + "/128"), StringComparison.Ordinal);
    }

    [RuncFact]
    public async Task Ipv4Egress_LeavesTheNodeMasqueraded_TheOutsideHostSeesTheNodesAddress()
    {
        var outside = _netns.Create("o");
        _netns.Link(_node, outside, ["198.51.100.1/30"], ["198.51.100.2/30"]);
        Shell.Run("ip", "-n", _node, "-4", "route", "add", "default", "via", "198.51.100.2");
        // The outside host: busybox httpd whose CGI answers with the client address it sees.
        using var www = new TempDir("gitorch-outside-www");
        Directory.CreateDirectory(www.Combine("cgi-bin"));
        File.WriteAllText(www.Combine("cgi-bin", "who"), "#!/bin/sh\necho 'Content-Type: text/plain'\necho\necho \"seen-from $REMOTE_ADDR\"\n");
        File.SetUnixFileMode(www.Combine("cgi-bin", "who"), (UnixFileMode)0x1ED); // 0755
        _netns.Start(outside, "busybox", "httpd", "-f", "-p", "0.0.0.0:9090", "-h", www.Path);
        await _network!.ApplyAsync(new NodeNetwork(Subnet, Ipv4Egress: true, Peers: []), CancellationToken.None);

        var pod = await StartPodAsync(Address("e1"), "until wget -qO /tmp/answer http://198.51.100.2:9090/cgi-bin/who; do sleep 0.2; done; cat /tmp/answer; ip -4 addr show dev eth0; echo asked; sleep 300");

        var log = await Eventually.Until(() => TestPods.ReadLog(pod), l => l.Contains("asked\n", StringComparison.Ordinal), "the pod to reach the outside host over IPv4");
        Assert.Contains("seen-from 198.51.100.1", log, StringComparison.Ordinal);
        Assert.Contains("inet 100.64.", log, StringComparison.Ordinal); // The pod's own node-local address, which the outside never sees.
        Assert.StartsWith("100.64.", (await _network.InspectPodAsync(pod.Pod, Address("e1"), CancellationToken.None)).Ipv4, StringComparison.Ordinal);
        Assert.Contains("MASQUERADE", NetnsScope.Exec(_node, "iptables", "-t", "nat", "-S", "POSTROUTING").Output, StringComparison.Ordinal);
    }

    [RuncFact]
    public async Task Ipv4IsNeverUsedBetweenPods_WhileIpv6BetweenTheSamePodsWorks()
    {
        await _network!.ApplyAsync(new NodeNetwork(Subnet, Ipv4Egress: true, Peers: []), CancellationToken.None);
        var server = await StartPodAsync(Address("f1"), "nc -ll -p 8080 -e echo pong");
        var client = await StartPodAsync(Address("f2"), "sleep 300");
        var serverIpv4 = (await _network.InspectPodAsync(server.Pod, Address("f1"), CancellationToken.None)).Ipv4!;
        var clientNs = _network.PodNamespace(client.Pod);

        Assert.Equal("pong\n", await AskAsync(clientNs, Address("f1"), 8080));
        var overIpv4 = NetnsScope.Exec(clientNs, "busybox", "nc", "-w", "2", serverIpv4, "8080");

        Assert.Equal(string.Empty, overIpv4.Output);
        Assert.Contains("gitorch no ipv4 between pods", NetnsScope.Exec(_node, "iptables", "-S", "FORWARD").Output, StringComparison.Ordinal);
    }
}
