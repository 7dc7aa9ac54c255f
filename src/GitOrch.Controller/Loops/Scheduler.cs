using GitOrch.Controller.Nodes;
using GitOrch.Core.Diagnostics;
using GitOrch.Core.Manifests;
using GitOrch.Core.Ownership;
using GitOrch.History;
using GitOrch.History.Store;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;

namespace GitOrch.Controller.Loops;

/// <summary>
/// The built-in <c>scheduler</c> loop: places a pod on a node that has its nodeSelector labels and
/// room for its cpu and memory, preferring the fullest such node (bin-packing). It writes only
/// <c>status.nodeName</c>, as a mechanical version by <c>control-loop/scheduler</c>.
/// </summary>
public sealed class Scheduler(HistoryStore store, NodeRegistry nodes)
{
    public const string Field = "status.nodeName";

    /// <summary>Places the pods among <paramref name="candidates"/> that have no node yet. Returns what it placed or could not place.</summary>
    public IReadOnlyList<SchedulingResult> Schedule(IEnumerable<ObjectRef> candidates, string? sourceCommit)
    {
        var pods = candidates.Where(r => r.Kind == Kinds.Pod).Select(store.Get)
            .Where(o => o is { Deleted: false }).Select(o => (Stored: o!, Json: JObject.Parse(o!.ObjectJson)))
            .Where(p => p.Json["status"]?["nodeName"] is null)
            .ToList();
        if (pods.Count == 0)
        {
            return [];
        }

        var used = Allocations();
        var results = new List<SchedulingResult>();
        foreach (var (stored, json) in pods)
        {
            var spec = json["spec"]?.ToObject<PodSpec>(ManifestJson.Serializer);
            if (spec is null)
            {
                continue;
            }

            var (cpu, memory) = Requests(spec);
            var fitting = nodes.All
                .Where(n => Matches(n, spec.NodeSelector))
                .Where(n => used.GetValueOrDefault(n.Name).Cpu + cpu <= n.CpuMillis && used.GetValueOrDefault(n.Name).Memory + memory <= n.MemoryBytes)
                .OrderByDescending(n => Fullness(n, used.GetValueOrDefault(n.Name), cpu, memory))
                .ThenBy(n => n.Name, StringComparer.Ordinal)
                .FirstOrDefault();
            if (fitting is null)
            {
                results.Add(new SchedulingResult(stored.Ref, null, Explain(spec, cpu, memory, used)));
                continue;
            }

            store.Update(stored.Ref, BuiltInLoops.Scheduler, sourceCommit, $"scheduler: place {stored.Ref.Display} on {fitting.Name}", current =>
            {
                if (current["status"]?["nodeName"] is not null)
                {
                    return []; // Placed meanwhile.
                }

                var status = current["status"] as JObject ?? [];
                status["nodeName"] = fitting.Name;
                current["status"] = status;
                return [Field];
            });
            var before = used.GetValueOrDefault(fitting.Name);
            used[fitting.Name] = (before.Cpu + cpu, before.Memory + memory);
            results.Add(new SchedulingResult(stored.Ref, fitting.Name, $"placed on {fitting.Name} ({cpu}m cpu, {memory} bytes)"));
        }

        return results;
    }

    /// <summary>What is already reserved on each node, from the placed pods.</summary>
    private Dictionary<string, (long Cpu, long Memory)> Allocations()
    {
        var used = new Dictionary<string, (long Cpu, long Memory)>(StringComparer.Ordinal);
        foreach (var pod in store.List(Kinds.Pod))
        {
            var json = JObject.Parse(pod.ObjectJson);
            if (json["status"]?["nodeName"]?.ToString() is not { } node || json["spec"]?.ToObject<PodSpec>(ManifestJson.Serializer) is not { } spec)
            {
                continue;
            }

            var (cpu, memory) = Requests(spec);
            var before = used.GetValueOrDefault(node);
            used[node] = (before.Cpu + cpu, before.Memory + memory);
        }

        return used;
    }

    internal static (long Cpu, long Memory) Requests(PodSpec spec) =>
        (spec.Containers.Sum(c => Quantity.CpuMillis(c.Resources?.Cpu)), spec.Containers.Sum(c => Quantity.MemoryBytes(c.Resources?.Memory)));

    private static bool Matches(NodeInfo node, IReadOnlyDictionary<string, string>? selector) =>
        selector is null || selector.All(kv => node.Labels.TryGetValue(kv.Key, out var v) && v == kv.Value);

    private static double Fullness(NodeInfo node, (long Cpu, long Memory) used, long cpu, long memory) =>
        ((double)(used.Cpu + cpu) / Math.Max(1, node.CpuMillis)) + ((double)(used.Memory + memory) / Math.Max(1, node.MemoryBytes));

    private string Explain(PodSpec spec, long cpu, long memory, Dictionary<string, (long Cpu, long Memory)> used)
    {
        if (nodes.All.Count == 0)
        {
            return "no node is registered; start an agent (or gitorch up, which runs one)";
        }

        var reasons = nodes.All.Select(n => !Matches(n, spec.NodeSelector)
            ? $"{n.Name}: lacks nodeSelector labels"
            : $"{n.Name}: {n.CpuMillis - used.GetValueOrDefault(n.Name).Cpu}m cpu and {n.MemoryBytes - used.GetValueOrDefault(n.Name).Memory} bytes free");
        return $"no node fits {cpu}m cpu and {memory} bytes of memory with nodeSelector {{{string.Join(", ", spec.NodeSelector?.Select(kv => $"{kv.Key}: {kv.Value}") ?? [])}}} ({string.Join("; ", reasons)})";
    }
}

/// <summary>Where the scheduler put a pod (null when it could not) and why.</summary>
public sealed record SchedulingResult(ObjectRef Pod, string? Node, string Message);
