using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using GitOrch.Controller.Nodes;
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
/// and <c>status.ports</c>. What the node's other pods hold comes from the <see cref="PodIndex"/>,
/// and what is chosen is claimed there at once.
/// </summary>
public sealed class Ipam(HistoryStore store, PodIndex index) : IBuiltInLoop
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

        if (spec.Runtime == PodRuntime.Process)
        {
            var current = step.Object["status"]?["ports"] as JsonObject;
            // Chosen and claimed under the index's lock: two pods of a node never draw the same port.
            var assigned = index.Assign(step.Ref, node, (_, portTaken) =>
            {
                var picked = new List<(string Name, int Port)>();
                var taken = new HashSet<int>();
                var next = FirstHostPort;
                foreach (var port in ports)
                {
                    if (current?[port.Name].AsInteger() is { } kept && (int)kept is var keep && !portTaken(keep) && taken.Add(keep))
                    {
                        picked.Add((port.Name, keep));
                        continue;
                    }

                    while (next <= LastHostPort && (portTaken(next) || taken.Contains(next)))
                    {
                        next++;
                    }

                    if (next > LastHostPort)
                    {
                        throw new LoopCallException($"node {node} has no free host port left in {FirstHostPort}-{LastHostPort}");
                    }

                    picked.Add((port.Name, next));
                    taken.Add(next);
                }

                return picked;
            }, picked => (null, picked.Select(p => p.Port).ToList()));
            var map = new JsonObject();
            foreach (var (name, port) in assigned)
            {
                map[name] = port;
            }

            return ValueTask.FromResult(BuiltInStep.Set(
                ports.Count == 0 ? "process runtime: no ports" : $"host ports {string.Join(", ", assigned.Select(p => $"{p.Name}={p.Port}"))} on {node}",
                ("status.ports", map)));
        }

        var prefix = (step.Config?.Objects.Select(o => o.Object).OfType<ClusterPolicy>().FirstOrDefault()?.Spec.Network?.PodPrefix) ?? DefaultPrefix;
        var subnet = NodeSubnet(prefix, node); // Before the index's lock: the store is never called under it.
        var containerPorts = ports.Where(p => p.Port is not null).ToList();
        var ip = index.Assign(step.Ref, node, (ipTaken, _) =>
        {
            var kept = step.Object["status"]?["podIP"]?.ToString();
            return kept is not null && InSubnet(kept, subnet) && !ipTaken(kept) ? kept : Allocate(subnet, ipTaken);
        }, ip => (ip, containerPorts.Select(p => p.Port!.Value).ToList()));

        var portMap = new JsonObject();
        foreach (var port in containerPorts)
        {
            portMap[port.Name] = port.Port!.Value;
        }

        return ValueTask.FromResult(BuiltInStep.Set($"address {ip} in {Format(subnet)}/64 of {node}", ("status.podIP", ip), ("status.ports", portMap)));
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

    private static string Allocate(byte[] subnet, Func<string, bool> used)
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
            if (!used(text))
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
