using System.Net;
using GitOrch.Controller.Agents;
using GitOrch.Controller.Loops;
using GitOrch.Core.AgentApi;
using GitOrch.Core.Manifests;
using GitOrch.Core.Network;
using GitOrch.Core.Validation;
using GitOrch.History.Store;

namespace GitOrch.Controller.Nodes;

/// <summary>
/// The cluster's pod network as the controller hands it to each node: the node's /64 of the
/// cluster prefix, whether pods get IPv4 egress, and every other live node (its /64 and the
/// underlay address its agent reported) to route to. Nodes declared dead are left out, so their
/// routes go. What would black-hole traffic (two nodes with one /64 or one underlay address, a node
/// with no usable underlay) is named in <see cref="Problems"/>.
/// </summary>
public sealed class ClusterNetwork(HistoryStore store, NodeRegistry nodes, AgentGateway agents, Func<ValidationResult?> config)
{
    private NetworkPolicy? Policy => config()?.Objects.Select(o => o.Object).OfType<ClusterPolicy>().FirstOrDefault()?.Spec.Network;

    public string Prefix => Policy?.PodPrefix ?? PodPrefix.Default;

    /// <summary>The node's /64, e.g. "fd12:3456:789a:1::/64" (allocated on first use).</summary>
    public string SubnetOf(string node) => PodPrefix.Format64(Ipam.NodeSubnet(store, Prefix, node));

    /// <summary>What the controller answers to <paramref name="node"/>'s heartbeat.</summary>
    public NodeNetwork For(string node)
    {
        var subnet = SubnetOf(node); // First: a node's subnet id is allocated when it first asks, in the order nodes join.
        var reports = agents.Reports;
        var peers = nodes.All
            .Where(n => n.Name != node && !IsDead(n.Name))
            .Select(n => new PeerNode(n.Name, SubnetOf(n.Name), reports.TryGetValue(n.Name, out var r) ? Normalized(r.UnderlayAddress) : null))
            .ToList();
        return new NodeNetwork(subnet, Policy?.Ipv4Egress == true, peers);
    }

    /// <summary>Every way the network of <paramref name="node"/> can lose traffic, said so an operator can fix it.</summary>
    public IReadOnlyList<string> Problems(string node)
    {
        var problems = new List<string>();
        var reports = agents.Reports;
        var all = nodes.All.Where(n => !IsDead(n.Name)).Select(n => n.Name).ToList();
        var subnet = SubnetOf(node);
        foreach (var other in all.Where(o => o != node && SubnetOf(o) == subnet))
        {
            problems.Add($"node {other} has the same /64 {subnet}: pods of one are unreachable from the other's peers; give one node a new subnet id (ipam.subnet.{other} in the state) and restart its pods");
        }

        var underlay = reports.TryGetValue(node, out var report) ? report.UnderlayAddress : null;
        if (all.Count > 1)
        {
            if (underlay is null)
            {
                problems.Add($"no underlay address reported: other nodes have no route to {subnet}; start the agent with --address ADDR");
            }
            else if (Normalized(underlay) is null)
            {
                problems.Add($"underlay address \"{Printable(underlay)}\" is not an IP address: other nodes have no route to {subnet}; start the agent with --address ADDR");
            }
            else if (IPAddress.Parse(underlay) is var parsed && (IPAddress.IsLoopback(parsed) || parsed.IsIPv6LinkLocal))
            {
                problems.Add($"underlay address {underlay} cannot be reached from other nodes (loopback or link-local); start the agent with --address set to an address they reach");
            }

            foreach (var other in all.Where(o => o != node && underlay is not null && reports.TryGetValue(o, out var r) && r.UnderlayAddress == underlay))
            {
                problems.Add($"node {other} reports the same underlay address {underlay}: routes to both /64s lead to one machine");
            }
        }

        if (report?.NetworkProblem is { } local)
        {
            problems.Add(local);
        }

        problems.AddRange((report?.PeerRoutes ?? []).Where(p => p.State != "installed").Select(p => $"route to {p.Node} ({p.Subnet}) {p.State}: {p.Problem}"));
        return problems;
    }

    /// <summary>A reported underlay address as other agents get it: parsed and written canonically, or null when it is not an address.</summary>
    private static string? Normalized(string? underlay) =>
        underlay is not null && !underlay.Contains('/', StringComparison.Ordinal) && IPAddress.TryParse(underlay, out var address) ? address.ToString() : null;

    /// <summary>What a node sent, fit to print: at most 64 characters, control characters (terminal escapes) as '?'.</summary>
    private static string Printable(string text) =>
        new([.. (text.Length > 64 ? text[..64] + "…" : text).Select(c => char.IsControl(c) ? '?' : c)]);

    private bool IsDead(string node) => nodes.Condition(node)?.StartsWith("declared dead", StringComparison.Ordinal) == true;
}
