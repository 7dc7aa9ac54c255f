using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using GitOrch.Core.Manifests;
using GitOrch.Core.Network;
using GitOrch.Core.Ownership;
using GitOrch.History.Store;
using GitOrch.Workflow.Loops;

namespace GitOrch.Controller.Loops;

/// <summary>
/// The built-in <c>ipam</c> loop. On the oci runtime: an IPv6 address from the cluster's ULA
/// prefix (ClusterPolicy <c>network.podPrefix</c>, a /48), in its node's /64, with a random
/// interface id checked against the node's other pods; kept for the pod's life on that node. On
/// the process runtime: a free host port per named port, Borg-style. Writes <c>status.podIP</c>
/// and <c>status.ports</c>.
/// </summary>
public sealed class Ipam(HistoryStore store) : IBuiltInLoop
{
    public const string DefaultPrefix = PodPrefix.Default;
    public const int FirstHostPort = 30000;
    public const int LastHostPort = 32767;

    public string Name => BuiltInLoops.Ipam;

    public ValueTask<LoopAnswer> RunAsync(BuiltInStep step, CancellationToken ct)
    {
        var node = step.Object["status"]?["nodeName"]?.ToString()
            ?? throw new LoopCallException("the pod has no node yet (status.nodeName); the scheduler step must run first");
        var spec = step.Object["spec"]!.Bind<PodSpec>()!;
        var ports = spec.Containers.Concat(spec.InitContainers ?? []).SelectMany(c => c.Ports ?? []).ToList();
        var others = store.List(Kinds.Pod).Where(p => p.Ref != step.Ref).Select(p => GitOrch.Core.Manifests.ManifestJson.Parse(p.ObjectJson))
            .Where(p => p["status"]?["nodeName"]?.ToString() == node).ToList();

        if (spec.Runtime == PodRuntime.Process)
        {
            var current = step.Object["status"]?["ports"] as JsonObject;
            var taken = others.SelectMany(p => (p["status"]?["ports"] as JsonObject)?.Select(x => (int)x.Value!) ?? []).ToHashSet();
            var assigned = new JsonObject();
            foreach (var port in ports)
            {
                if (current?[port.Name].AsInteger() is { } kept && !taken.Contains((int)kept))
                {
                    assigned[port.Name] = (int)kept;
                    taken.Add((int)kept);
                    continue;
                }

                var free = Enumerable.Range(FirstHostPort, LastHostPort - FirstHostPort + 1).FirstOrDefault(p => !taken.Contains(p));
                if (free == 0)
                {
                    throw new LoopCallException($"node {node} has no free host port left in {FirstHostPort}-{LastHostPort}");
                }

                assigned[port.Name] = free;
                taken.Add(free);
            }

            return ValueTask.FromResult(BuiltInStep.Set(
                ports.Count == 0 ? "process runtime: no ports" : $"host ports {string.Join(", ", assigned.Select(p => $"{p.Key}={p.Value}"))} on {node}",
                ("status.ports", assigned)));
        }

        var prefix = (step.Config?.Objects.Select(o => o.Object).OfType<ClusterPolicy>().FirstOrDefault()?.Spec.Network?.PodPrefix) ?? DefaultPrefix;
        var subnet = NodeSubnet(prefix, node);
        var ip = step.Object["status"]?["podIP"]?.ToString();
        var used = others.Select(p => p["status"]?["podIP"]?.ToString()).OfType<string>().ToHashSet(StringComparer.Ordinal);
        if (ip is null || !InSubnet(ip, subnet) || used.Contains(ip))
        {
            ip = Allocate(subnet, used);
        }

        var containerPorts = new JsonObject();
        foreach (var port in ports.Where(p => p.Port is not null))
        {
            containerPorts[port.Name] = port.Port!.Value;
        }

        return ValueTask.FromResult(BuiltInStep.Set($"address {ip} in {Format(subnet)}/64 of {node}", ("status.podIP", ip), ("status.ports", containerPorts)));
    }

    /// <summary>The node's /64: the cluster /48 plus a 16-bit subnet id, allocated once per node (in order of first need) and kept in the store.</summary>
    private byte[] NodeSubnet(string prefix, string node) => NodeSubnet(store, prefix, node);

    private static readonly Lock SubnetGate = new();

    /// <summary>The node's /64 of <paramref name="prefix"/> (allocating its subnet id on first use).</summary>
    public static byte[] NodeSubnet(HistoryStore store, string prefix, string node)
    {
        var address = PodPrefix.TryParse(prefix, out var parsed, out _) ? parsed : IPAddress.Parse(prefix.Split('/')[0]).GetAddressBytes();
        lock (SubnetGate)
        {
            var key = $"ipam.subnet.{node}";
            var index = store.GetMeta(key) is { } known ? int.Parse(known, CultureInfo.InvariantCulture) : 0;
            if (index == 0)
            {
                var next = (store.GetMeta("ipam.subnet.next") is { } n ? int.Parse(n, CultureInfo.InvariantCulture) : 0) + 1;
                store.SetMeta("ipam.subnet.next", next.ToString(CultureInfo.InvariantCulture));
                store.SetMeta(key, next.ToString(CultureInfo.InvariantCulture));
                index = next;
            }

            return PodPrefix.Subnet(address, index);
        }
    }

    private static string Allocate(byte[] subnet, HashSet<string> used)
    {
        for (var attempt = 0; attempt < 64; attempt++)
        {
            var address = (byte[])subnet.Clone();
            RandomNumberGenerator.Fill(address.AsSpan(8));
            if (address.AsSpan(8).IndexOfAnyExcept((byte)0) < 0)
            {
                continue;
            }

            var text = new IPAddress(address).ToString();
            if (!used.Contains(text))
            {
                return text;
            }
        }

        throw new LoopCallException("could not find a free address after 64 random tries (this should never happen in a /64)");
    }

    private static bool InSubnet(string ip, byte[] subnet) =>
        IPAddress.TryParse(ip, out var address) && address.GetAddressBytes().AsSpan(0, 8).SequenceEqual(subnet.AsSpan(0, 8));

    private static string Format(byte[] subnet) => new IPAddress(subnet).ToString();
}
