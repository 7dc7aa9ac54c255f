using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using GitOrch.Agent.Runtimes;
using GitOrch.Core.AgentApi;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace GitOrch.Agent.Network;

/// <summary>
/// The node's side of pod networking. Each oci pod gets a network namespace joined to the node by a
/// veth pair: the pod's IPv6 address (/128) on its <c>eth0</c>, the host side <c>fe80::1/64</c> as its
/// gateway, and a /128 route on the node to the veth. The node forwards IPv6 and routes every other
/// node's /64 via that node's underlay address. With IPv4 egress, pods also get a node-local IPv4
/// address from <see cref="EgressRange"/> and the node masquerades it on the way out; that address
/// never leaves the node and IPv4 between pods is dropped.
/// </summary>
public sealed partial class NodeNetworking
{
    public const string GatewayV6 = "fe80::1";
    public const string EgressRange = "100.64.0.0/16";
    public const string GatewayV4 = "100.64.0.1";

    /// <summary>The route protocol number that marks the routes to other nodes' /64s as this agent's (<c>ip -6 route show proto 201</c>).</summary>
    public const string PeerRouteProtocol = "201";

    private const string EgressComment = "gitorch pod ipv4 egress";
    private const string PodToPodComment = "gitorch no ipv4 between pods";

    private readonly string _scope;
    private readonly ILogger _log;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly ConcurrentDictionary<string, string?> _ipv4 = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _peersGate = new(1, 1);
    private bool _forwarding;
    private long _looks;
    private bool? _egress;
    private bool _servesPods;
    private string? _hostProblem;
    private string? _peersProblem;

    public NodeNetworking(string scope = "", string? hostNamespace = null, ILogger? log = null)
    {
        _scope = scope;
        Host = new HostCommands(hostNamespace);
        _log = log ?? NullLogger.Instance;
    }

    public HostCommands Host { get; }

    /// <summary>What the controller said last (or the copy on disk): this node's /64, egress, peers.</summary>
    public NodeNetwork? Current { get; private set; }

    /// <summary>The state of the routes to other nodes after the last <see cref="ApplyAsync"/>.</summary>
    public IReadOnlyList<PeerRouteReport> PeerRoutes { get; private set; } = [];

    /// <summary>What keeps pod networking from working on this node, or null.</summary>
    public string? Problem => _hostProblem is null ? _peersProblem : _peersProblem is null ? _hostProblem : _hostProblem + "; " + _peersProblem;

    public static bool Available => HostCommands.IpAvailable;

    /// <summary>The pod's network namespace name (unique per agent and pod): <c>gitorch-</c> and 16 hex digits.</summary>
    public string PodNamespace(string pod) => "gitorch-" + Hash(pod)[..16];

    /// <summary>The host side of the pod's veth: <c>go</c> and 12 hex digits (15 characters at most, as Linux wants).</summary>
    public string HostInterface(string pod) => "go" + Hash(pod)[..12];

    private string Hash(string pod) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(_scope + "\n" + pod)));

    /// <summary>
    /// Takes the controller's view of the network: routes to every peer's /64 (and none to nodes that
    /// left). Forwarding and egress are the node's business only once it serves a pod network, so an
    /// agent that runs only process pods never changes the host's sysctls or firewall.
    /// </summary>
    public async Task ApplyAsync(NodeNetwork network, CancellationToken ct)
    {
        await _gate.WaitAsync(ct);
        try
        {
            Current = network;
            if (_servesPods)
            {
                await EnsureHostAsync(ct);
            }
        }
        finally
        {
            _gate.Release();
        }

        await _peersGate.WaitAsync(ct); // Apart from the pods' gate: probing a silent peer takes seconds.
        try
        {
            PeerRoutes = await ApplyPeersAsync(network, ct);
        }
        finally
        {
            _peersGate.Release();
        }
    }

    /// <summary>IPv6 forwarding, and IPv4 egress as the controller last said; IPv4 for pods set up before egress was known.</summary>
    private async Task EnsureHostAsync(CancellationToken ct)
    {
        var problems = new List<string>();
        if (await EnsureForwardingAsync(ct) is { } forwarding)
        {
            problems.Add(forwarding);
        }

        var egress = Current?.Ipv4Egress == true;
        if (await EnsureEgressAsync(egress, ct) is { } egressProblem)
        {
            problems.Add(egressProblem);
        }

        if (egress)
        {
            foreach (var pod in _ipv4.Where(p => p.Value is null).Select(p => p.Key).ToList())
            {
                _ipv4[pod] = await AddIpv4Async(pod, ct);
            }
        }

        _hostProblem = problems.Count == 0 ? null : string.Join("; ", problems);
    }

    /// <summary>
    /// Sets up (or finds in place) the pod's namespace, veth, address and routes; returns the
    /// namespace's path. Throws <see cref="RuntimeException"/> with the reason when the address is
    /// already routed to another pod on this node or a step fails.
    /// </summary>
    public async Task<string> SetUpPodAsync(string pod, string address, CancellationToken ct)
    {
        address = CheckPodAddress(address);
        await _gate.WaitAsync(ct);
        try
        {
            _servesPods = true;
            await EnsureHostAsync(ct);
            var ns = PodNamespace(pod);
            var veth = HostInterface(pod);
            if (await InPlaceAsync(ns, veth, address, ct))
            {
                if (Current?.Ipv4Egress == true && _ipv4.GetValueOrDefault(pod) is null)
                {
                    _ipv4[pod] = await FindIpv4Async(ns, ct) ?? await AddIpv4Async(pod, ct);
                }

                return NamespacePath(ns);
            }

            await TearDownLockedAsync(pod, ct);
            var (_, routed, _) = await Host.IpAsync(["-6", "route", "show", address + "/128"], ct);
            if (routed.Trim().Length > 0 && !routed.Contains("dev " + veth + " ", StringComparison.Ordinal))
            {
                LogCollision(_log, pod, address, routed.Trim());
                throw new RuntimeException($"address {address} is already routed on this node ({routed.Trim()}): another pod or a hand-made route has it, and a pod never starts on a duplicate address; remove that route (or the other pod), then change this pod's spec to start it again");
            }

            var steps = new List<(bool InPod, string[] Args)>
            {
                (false, ["netns", "add", ns]),
                (false, ["link", "add", veth, "type", "veth", "peer", "name", "eth0", "netns", ns]),
                (false, ["-6", "addr", "add", GatewayV6 + "/64", "dev", veth, "nodad"]),
                (false, ["link", "set", veth, "up"]),
                (true, ["link", "set", "lo", "up"]),
                (true, ["-6", "addr", "add", address + "/128", "dev", "eth0", "nodad"]),
                (true, ["link", "set", "eth0", "up"]),
                (true, ["-6", "route", "add", "default", "via", GatewayV6, "dev", "eth0"]),
                (false, ["-6", "route", "replace", address + "/128", "dev", veth]),
            };
            foreach (var (inPod, args) in steps)
            {
                var (code, _, error) = inPod ? await HostCommands.PodIpAsync(ns, args, ct) : await (args[0] == "netns" ? HostCommands.RunAsync("ip", args, ct) : Host.IpAsync(args, ct));
                if (code != 0)
                {
                    await TearDownLockedAsync(pod, ct);
                    throw new RuntimeException($"pod network: ip {(inPod ? "-n " + ns + " " : string.Empty)}{string.Join(' ', args)}: {error}");
                }
            }

            _ipv4[pod] = Current?.Ipv4Egress == true ? await AddIpv4Async(pod, ct) : null;
            return NamespacePath(ns);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// The pod's address as <c>ip</c> gets it: a global IPv6 address (never an option-like string,
    /// a link-local, multicast or unspecified address), inside this node's /64 when the node knows it,
    /// so an assignment can never claim another node's addresses or the gateway.
    /// </summary>
    private string CheckPodAddress(string address)
    {
        if (!IPAddress.TryParse(address, out var parsed) || parsed.AddressFamily != AddressFamily.InterNetworkV6 || address.Contains('/', StringComparison.Ordinal) || address.Contains('%', StringComparison.Ordinal))
        {
            throw new RuntimeException($"pod address \"{address}\" is not an IPv6 address; the controller's ipam step writes status.podIP");
        }

        if (parsed.IsIPv6LinkLocal || parsed.IsIPv6Multicast || parsed.Equals(IPAddress.IPv6Any) || IPAddress.IsLoopback(parsed) || parsed.IsIPv4MappedToIPv6)
        {
            throw new RuntimeException($"pod address {address} is link-local, multicast, loopback or unspecified; a pod needs an address of its node's /64");
        }

        if (Current is { } network && !Core.Network.PodPrefix.In64(parsed.ToString(), network.Subnet))
        {
            throw new RuntimeException($"pod address {address} is not in this node's /64 {network.Subnet}; it belongs to another node, so the pod does not start here until ipam gives it an address of this node");
        }

        return parsed.ToString();
    }

    /// <summary>Removes the pod's veth (and with it its routes) and its namespace.</summary>
    public async Task TearDownPodAsync(string pod, CancellationToken ct)
    {
        await _gate.WaitAsync(ct);
        try
        {
            await TearDownLockedAsync(pod, ct);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Whether processes still run in the pod's namespace (another container of the pod).</summary>
    public async Task<bool> InUseAsync(string pod, CancellationToken ct)
    {
        var (code, output, _) = await HostCommands.RunAsync("ip", ["netns", "pids", PodNamespace(pod)], ct);
        return code == 0 && output.Trim().Length > 0;
    }

    /// <summary>The pod's network as the node sees it now (for <c>why</c> and <c>nodes</c>).</summary>
    public async Task<PodNetworkReport> InspectPodAsync(string pod, string address, CancellationToken ct) =>
        (await InspectPodsAsync([(pod, address)], ct))[0];

    /// <summary>How many looks at the node's links and routes <see cref="InspectPodsAsync"/> took.</summary>
    public long Looks => Interlocked.Read(ref _looks);

    /// <summary>Several pods' networks from one look at the node's links and routes (two commands, however many pods).</summary>
    public async Task<IReadOnlyList<PodNetworkReport>> InspectPodsAsync(IReadOnlyList<(string Pod, string Address)> pods, CancellationToken ct)
    {
        if (pods.Count == 0)
        {
            return [];
        }

        Interlocked.Increment(ref _looks);

        var (_, links, _) = await Host.IpAsync(["-o", "link", "show"], ct);
        var (_, routes, _) = await Host.IpAsync(["-6", "route", "show"], ct);
        var up = new Dictionary<string, bool>(StringComparer.Ordinal);
        foreach (var line in links.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var parts = line.Split(':', 3);
            if (parts.Length == 3)
            {
                up[parts[1].Trim().Split('@')[0]] = parts[2].Contains(",UP", StringComparison.Ordinal) || parts[2].Contains("<UP", StringComparison.Ordinal);
            }
        }

        var routeOf = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in routes.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            // "fd12:…::5 dev go0123456789ab metric 1024 pref medium": a /128 is shown without its length.
            routeOf.TryAdd(line.Split(' ')[0], line);
        }

        return pods.Select(p =>
        {
            var veth = HostInterface(p.Pod);
            var address = IPAddress.TryParse(p.Address, out var parsed) ? parsed.ToString() : p.Address;
            var present = up.TryGetValue(veth, out var isUp);
            var route = routeOf.GetValueOrDefault(address) ?? routeOf.GetValueOrDefault(address + "/128");
            var routed = route is not null && (" " + route + " ").Contains(" dev " + veth + " ", StringComparison.Ordinal);
            var problem = !present ? $"the pod's veth {veth} is missing on this node"
                : !isUp ? $"the pod's veth {veth} is down"
                : routed ? null
                : route is null ? $"no route to {address} on this node"
                : $"{address} is routed elsewhere: {route}";
            return new PodNetworkReport(address, veth, present && isUp, routed, _ipv4.GetValueOrDefault(p.Pod), problem);
        }).ToList();
    }

    /// <summary>The local address this machine reaches <paramref name="server"/> from (the default underlay address).</summary>
    public static string? LocalAddressTowards(Uri server)
    {
        try
        {
            var addresses = IPAddress.TryParse(server.DnsSafeHost, out var literal) ? [literal] : Dns.GetHostAddresses(server.IdnHost);
            if (addresses.Length == 0)
            {
                return null;
            }

            using var socket = new Socket(addresses[0].AddressFamily, SocketType.Dgram, ProtocolType.Udp);
            socket.Connect(addresses[0], server.Port > 0 ? server.Port : 443);
            return (socket.LocalEndPoint as IPEndPoint)?.Address.ToString();
        }
        catch (SocketException)
        {
            return null;
        }
    }

    private static string NamespacePath(string ns) => "/var/run/netns/" + ns;

    private async Task<bool> InPlaceAsync(string ns, string veth, string address, CancellationToken ct)
    {
        if (!File.Exists(NamespacePath(ns)))
        {
            return false;
        }

        // Three reads, asked at once: an in-place restart waits for them before its container starts.
        var inPod = HostCommands.PodIpAsync(ns, ["-6", "-o", "addr", "show", "dev", "eth0"], ct);
        var link = Host.IpAsync(["link", "show", "dev", veth], ct);
        var routed = Host.IpAsync(["-6", "route", "show", address + "/128"], ct);
        var (code, addresses, _) = await inPod;
        var (linkCode, _, _) = await link;
        var (_, route, _) = await routed;
        return code == 0 && linkCode == 0 && addresses.Contains(" " + address + "/128", StringComparison.Ordinal) && route.Contains("dev " + veth, StringComparison.Ordinal);
    }

    private async Task TearDownLockedAsync(string pod, CancellationToken ct)
    {
        await TearDownNamespaceLockedAsync(PodNamespace(pod), ct);
        _ipv4.TryRemove(pod, out _);
    }

    private async Task TearDownNamespaceLockedAsync(string ns, CancellationToken ct)
    {
        await Host.IpAsync(["link", "delete", "go" + ns["gitorch-".Length..][..12]], ct); // Its routes go with it.
        await HostCommands.RunAsync("ip", ["netns", "delete", ns], ct);
    }

    /// <summary>Removes a pod network found by its namespace name (a container re-adopted from an earlier agent, whose pod key is not at hand).</summary>
    public async Task TearDownNamespaceAsync(string ns, CancellationToken ct)
    {
        if (!ns.StartsWith("gitorch-", StringComparison.Ordinal) || ns.Length != "gitorch-".Length + 16)
        {
            return;
        }

        await _gate.WaitAsync(ct);
        try
        {
            await TearDownNamespaceLockedAsync(ns, ct);
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task<string?> EnsureForwardingAsync(CancellationToken ct)
    {
        if (_forwarding)
        {
            return null;
        }

        var (_, value, _) = await Host.ExecAsync("sysctl", ["-n", "net.ipv6.conf.all.forwarding"], ct);
        if (value.Trim() != "1")
        {
            // With forwarding on, the kernel ignores router advertisements on interfaces with accept_ra=1;
            // those that take them (SLAAC, a default route from the LAN's router) are set to 2 to keep them.
            var (_, ra, _) = await Host.ExecAsync("sysctl", ["-a", "--pattern", @"^net\.ipv6\.conf\.[^.]+\.accept_ra$"], ct);
            foreach (var line in ra.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                var parts = line.Split('=', 2, StringSplitOptions.TrimEntries);
                var name = parts[0];
                var iface = name.Split('.')[3];
                if (parts.Length == 2 && parts[1] == "1" && iface is not ("all" or "default" or "lo") && !iface.StartsWith("go", StringComparison.Ordinal))
                {
                    await Host.ExecAsync("sysctl", ["-qw", name + "=2"], ct);
                    LogAcceptRa(_log, iface);
                }
            }

            var (code, _, error) = await Host.ExecAsync("sysctl", ["-qw", "net.ipv6.conf.all.forwarding=1"], ct);
            if (code != 0)
            {
                return $"cannot turn on IPv6 forwarding (sysctl net.ipv6.conf.all.forwarding=1: {error}); pods are reachable only from this node";
            }

            LogForwarding(_log, Host.Namespace ?? "the agent's own");
        }

        _forwarding = true;
        return null;
    }

    private async Task<string?> EnsureEgressAsync(bool on, CancellationToken ct)
    {
        if (_egress == on)
        {
            return null;
        }

        string[] masquerade = ["-t", "nat", "POSTROUTING", "-s", EgressRange, "!", "-d", EgressRange, "-m", "comment", "--comment", EgressComment, "-j", "MASQUERADE"];
        string[] podToPod = ["-t", "filter", "FORWARD", "-s", EgressRange, "-d", EgressRange, "-m", "comment", "--comment", PodToPodComment, "-j", "DROP"];
        if (on)
        {
            var (code, _, error) = await Host.ExecAsync("sysctl", ["-qw", "net.ipv4.ip_forward=1"], ct);
            if (code != 0)
            {
                return $"IPv4 egress: cannot turn on IPv4 forwarding ({error})";
            }

            foreach (var (rule, verb) in new[] { (masquerade, "-A"), (podToPod, "-I") })
            {
                if ((await Iptables("-C", rule, ct)).Code != 0)
                {
                    var added = await Iptables(verb, rule, ct);
                    if (added.Code != 0)
                    {
                        return $"IPv4 egress: iptables {verb} {string.Join(' ', rule)}: {added.Error}{(added.Code == -1 ? " (Debian: apt-get install iptables)" : string.Empty)}";
                    }
                }
            }

            LogEgress(_log, EgressRange);
        }
        else if (_egress == true)
        {
            await Iptables("-D", masquerade, ct);
            await Iptables("-D", podToPod, ct);
        }

        _egress = on;
        return null;
    }

    private Task<(int Code, string Output, string Error)> Iptables(string verb, string[] rule, CancellationToken ct) =>
        Host.ExecAsync("iptables", [rule[0], rule[1], verb, .. rule[2..]], ct);

    private async Task<string?> AddIpv4Async(string pod, CancellationToken ct)
    {
        var ns = PodNamespace(pod);
        var veth = HostInterface(pod);
        var (_, routes, _) = await Host.IpAsync(["-4", "route", "show", "root", EgressRange], ct);
        var used = routes.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split(' ')[0]).ToHashSet(StringComparer.Ordinal);
        var start = (int)(BitConverter.ToUInt32(SHA256.HashData(Encoding.UTF8.GetBytes(pod)), 0) % 65532);
        for (var i = 0; i < 65532; i++)
        {
            var index = 2 + ((start + i) % 65532); // 100.64.0.2 .. 100.64.255.253
            var candidate = $"100.64.{index >> 8}.{index & 0xff}";
            if (used.Contains(candidate))
            {
                continue;
            }

            string[][] host = [["addr", "add", GatewayV4 + "/32", "dev", veth], ["-4", "route", "replace", candidate + "/32", "dev", veth]];
            string[][] inPod = [["-4", "addr", "add", candidate + "/32", "dev", "eth0"], ["-4", "route", "add", GatewayV4, "dev", "eth0", "scope", "link"], ["-4", "route", "add", "default", "via", GatewayV4, "dev", "eth0"]];
            foreach (var args in host)
            {
                var (code, _, error) = await Host.IpAsync(args, ct);
                if (code != 0 && !error.Contains("File exists", StringComparison.Ordinal))
                {
                    LogEgressFailed(_log, pod, error);
                    return null;
                }
            }

            foreach (var args in inPod)
            {
                var (code, _, error) = await HostCommands.PodIpAsync(ns, args, ct);
                if (code != 0 && !error.Contains("File exists", StringComparison.Ordinal))
                {
                    LogEgressFailed(_log, pod, error);
                    return null;
                }
            }

            return candidate;
        }

        return null;
    }

    private static async Task<string?> FindIpv4Async(string ns, CancellationToken ct)
    {
        var (_, output, _) = await HostCommands.PodIpAsync(ns, ["-4", "-o", "addr", "show", "dev", "eth0"], ct);
        var at = output.IndexOf(" inet ", StringComparison.Ordinal);
        return at < 0 ? null : output[(at + 6)..].Split('/')[0];
    }

    private async Task<IReadOnlyList<PeerRouteReport>> ApplyPeersAsync(NodeNetwork network, CancellationToken ct)
    {
        var reports = new List<PeerRouteReport>();
        var wanted = new HashSet<string>(StringComparer.Ordinal);
        _peersProblem = null;
        if (!IsSubnet64(network.Subnet))
        {
            _peersProblem = $"the controller gave this node the subnet \"{network.Subnet}\", which is not an IPv6 /64; no routes to other nodes installed";
            return [];
        }

        var seen = new Dictionary<string, string>(StringComparer.Ordinal) { [network.Subnet] = "this node" };
        var installed = new List<(PeerNode Peer, string Family)>();
        foreach (var peer in network.Peers.OrderBy(p => p.Node, StringComparer.Ordinal))
        {
            string? refused = null;
            if (!IsSubnet64(peer.Subnet))
            {
                refused = $"node {peer.Node}'s subnet \"{peer.Subnet}\" is not an IPv6 /64 (such as fd12:3456:789a:2::/64)";
            }
            else if (seen.TryGetValue(peer.Subnet, out var owner))
            {
                refused = $"node {peer.Node}'s /64 {peer.Subnet} is also {owner}'s; two nodes must never share a /64 (no route installed: pods there are unreachable from here until the controller's ipam gives them distinct subnets)";
            }
            else if (peer.Underlay is null)
            {
                refused = $"node {peer.Node} reported no underlay address; start its agent with --address ADDR";
            }
            else if (!IPAddress.TryParse(peer.Underlay, out var underlay) || IPAddress.IsLoopback(underlay) || underlay.IsIPv6LinkLocal || underlay.Equals(IPAddress.Any) || underlay.Equals(IPAddress.IPv6Any))
            {
                refused = $"node {peer.Node}'s underlay address \"{peer.Underlay}\" cannot be a next hop (loopback, link-local or unspecified); start its agent with --address set to an address this node can reach";
            }

            if (refused is not null)
            {
                reports.Add(new PeerRouteReport(peer.Node, peer.Subnet, peer.Underlay, "refused", refused));
                LogPeerRefused(_log, peer.Node, refused);
                continue;
            }

            seen[peer.Subnet] = "node " + peer.Node;
            wanted.Add(peer.Subnet);
            var via = IPAddress.Parse(peer.Underlay!).AddressFamily == AddressFamily.InterNetwork ? new[] { "via", "inet", peer.Underlay! } : ["via", peer.Underlay!];
            var (code, _, error) = await Host.IpAsync(["-6", "route", "replace", peer.Subnet, .. via, "proto", PeerRouteProtocol], ct);
            if (code != 0)
            {
                var problem = $"cannot route node {peer.Node}'s {peer.Subnet} via {peer.Underlay}: {error} (is {peer.Underlay} on a network this node is attached to?)";
                reports.Add(new PeerRouteReport(peer.Node, peer.Subnet, peer.Underlay, "refused", problem));
                LogPeerRefused(_log, peer.Node, problem);
                continue;
            }

            installed.Add((peer, via.Length == 3 ? "-4" : "-6"));
        }

        // Each installed route's next hop is probed (concurrently, 2 s each at most): a route to a silent underlay is a black hole, said so.
        var probes = installed.Select(async p => (p.Peer, Answered: await AnswersAsync(p.Peer.Underlay!, p.Family, ct))).ToList();
        foreach (var (peer, answered) in await Task.WhenAll(probes))
        {
            reports.Add(answered
                ? new PeerRouteReport(peer.Node, peer.Subnet, peer.Underlay, "installed", null)
                : new PeerRouteReport(peer.Node, peer.Subnet, peer.Underlay, "unreachable",
                    $"node {peer.Node}'s underlay {peer.Underlay} does not answer from this node; its pods ({peer.Subnet}) are unreachable until it does (check the link, the address given to its agent's --address, and firewalls)"));
        }

        // Routes to nodes that left or were declared dead.
        var (_, current, _) = await Host.IpAsync(["-6", "route", "show", "proto", PeerRouteProtocol], ct);
        foreach (var line in current.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var subnet = line.Split(' ')[0];
            if (!wanted.Contains(subnet))
            {
                await Host.IpAsync(["-6", "route", "delete", subnet, "proto", PeerRouteProtocol], ct);
                LogPeerRouteRemoved(_log, subnet);
            }
        }

        return [.. reports.OrderBy(r => r.Node, StringComparer.Ordinal)];
    }

    /// <summary>One echo request to the underlay address from the node (ping, or busybox's), waiting 2 s for the answer.</summary>
    private async Task<bool> AnswersAsync(string underlay, string family, CancellationToken ct)
    {
        string[] args = [family, "-c", "1", "-W", "2", underlay];
        var (code, _, _) = File.Exists("/usr/bin/ping") || File.Exists("/bin/ping")
            ? await Host.ExecAsync("ping", args, ct)
            : await Host.ExecAsync("busybox", ["ping", .. args], ct);
        return code == 0;
    }

    private static bool IsSubnet64(string subnet)
    {
        var parts = subnet.Split('/');
        return parts.Length == 2 && parts[1] == "64" && IPAddress.TryParse(parts[0], out var address) && address.AddressFamily == AddressFamily.InterNetworkV6
            && !address.IsIPv6LinkLocal && !address.IsIPv6Multicast && address.GetAddressBytes().AsSpan(8).IndexOfAnyExcept((byte)0) < 0 && address.ToString() + "/64" == subnet;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Pod {Pod}: address {Address} is already routed on this node ({Route}); not starting it on a duplicate address")]
    private static partial void LogCollision(ILogger logger, string pod, string address, string route);

    [LoggerMessage(Level = LogLevel.Information, Message = "IPv6 forwarding turned on (network namespace: {Namespace})")]
    private static partial void LogForwarding(ILogger logger, string @namespace);

    [LoggerMessage(Level = LogLevel.Information, Message = "Interface {Interface} takes router advertisements: accept_ra set to 2 so it keeps them with forwarding on")]
    private static partial void LogAcceptRa(ILogger logger, string @interface);

    [LoggerMessage(Level = LogLevel.Information, Message = "IPv4 egress: pods' node-local {Range} masqueraded on the way out")]
    private static partial void LogEgress(ILogger logger, string range);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Pod {Pod}: no IPv4 egress address: {Reason}")]
    private static partial void LogEgressFailed(ILogger logger, string pod, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Route to node {Node} not installed: {Reason}")]
    private static partial void LogPeerRefused(ILogger logger, string node, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Route to {Subnet} removed: its node left or was declared dead")]
    private static partial void LogPeerRouteRemoved(ILogger logger, string subnet);
}
