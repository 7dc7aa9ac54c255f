using System.Text.Json.Nodes;
using GitOrch.Controller.Nodes;
using GitOrch.Core.Diagnostics;
using GitOrch.Core.Manifests;
using GitOrch.Core.Ownership;
using GitOrch.History.Store;
using GitOrch.Workflow.Loops;

namespace GitOrch.Controller.Loops;

/// <summary>
/// The built-in <c>scheduler</c> loop: places a pod on a node that has its nodeSelector labels and
/// room for its cpu and memory, preferring the fullest such node (bin-packing). It writes only
/// <c>status.nodeName</c>. When no node fits it says why for every node, and tries again later.
/// </summary>
public sealed class Scheduler(HistoryStore store, NodeRegistry nodes) : IBuiltInLoop
{
    public const string Field = "status.nodeName";

    public static readonly TimeSpan RetryUnschedulable = TimeSpan.FromSeconds(10);

    public string Name => BuiltInLoops.Scheduler;

    public ValueTask<LoopAnswer> RunAsync(BuiltInStep step, CancellationToken ct)
    {
        if (step.Object["status"]?["nodeName"]?.ToString() is { } placed && nodes.Schedulable.Any(n => n.Name == placed) && StillFits(step.Ref, step.Object, placed))
        {
            return ValueTask.FromResult(BuiltInStep.Set($"stays on {placed}"));
        }

        var result = Place(step.Ref, step.Object);
        return ValueTask.FromResult(result.Node is null
            ? BuiltInStep.Requeue(RetryUnschedulable, result.Message)
            : BuiltInStep.Set($"place {step.Ref.Display} on {result.Node}", (Field, result.Node)));
    }

    /// <summary>Where the pod fits best now (null when nowhere), and why.</summary>
    public SchedulingResult Place(ObjectRef pod, JsonObject json)
    {
        var spec = json["spec"]?.Bind<PodSpec>()
            ?? throw new LoopCallException($"{pod.Display} has no spec");
        // With no node at all there is nothing to count (reading every pod per pod is the cost of
        // an unplaced 10,000-pod cluster otherwise).
        var used = nodes.All.Count == 0 ? [] : Allocations(pod);
        var (cpu, memory) = Requests(spec);
        var fitting = nodes.Schedulable
            .Where(n => Matches(n, spec.NodeSelector))
            .Where(n => used.GetValueOrDefault(n.Name).Cpu + cpu <= n.CpuMillis && used.GetValueOrDefault(n.Name).Memory + memory <= n.MemoryBytes)
            .OrderByDescending(n => Fullness(n, used.GetValueOrDefault(n.Name), cpu, memory))
            .ThenBy(n => n.Name, StringComparer.Ordinal)
            .FirstOrDefault();
        return fitting is null
            ? new SchedulingResult(pod, null, Explain(spec, cpu, memory, used))
            : new SchedulingResult(pod, fitting.Name, $"placed on {fitting.Name} ({cpu}m cpu, {memory} bytes)");
    }

    /// <summary>Whether a placed pod may stay: its node still has its labels and room (only resources or nodeSelector changes move a pod).</summary>
    private bool StillFits(ObjectRef pod, JsonObject json, string node)
    {
        var spec = json["spec"]?.Bind<PodSpec>();
        var info = nodes.Schedulable.First(n => n.Name == node);
        if (spec is null || !Matches(info, spec.NodeSelector))
        {
            return false;
        }

        var used = Allocations(pod).GetValueOrDefault(node);
        var (cpu, memory) = Requests(spec);
        return used.Cpu + cpu <= info.CpuMillis && used.Memory + memory <= info.MemoryBytes;
    }

    /// <summary>What is already reserved on each node by the other placed pods.</summary>
    private Dictionary<string, (long Cpu, long Memory)> Allocations(ObjectRef except)
    {
        var used = new Dictionary<string, (long Cpu, long Memory)>(StringComparer.Ordinal);
        foreach (var pod in store.List(Kinds.Pod).Where(p => p.Ref != except))
        {
            var json = GitOrch.Core.Manifests.ManifestJson.Parse(pod.ObjectJson);
            if (json["status"]?["nodeName"]?.ToString() is not { } node || json["spec"]?.Bind<PodSpec>() is not { } spec)
            {
                continue;
            }

            var (cpu, memory) = Requests(spec);
            var before = used.GetValueOrDefault(node);
            used[node] = (before.Cpu + cpu, before.Memory + memory);
        }

        return used;
    }

    /// <summary>What the pod reserves: its containers together, or its largest init container if that is more (they run one at a time, before them).</summary>
    internal static (long Cpu, long Memory) Requests(PodSpec spec) =>
        (Math.Max(spec.Containers.Sum(c => Quantity.CpuMillis(c.Resources?.Cpu)), (spec.InitContainers ?? []).Select(c => Quantity.CpuMillis(c.Resources?.Cpu)).DefaultIfEmpty(0).Max()),
         Math.Max(spec.Containers.Sum(c => Quantity.MemoryBytes(c.Resources?.Memory)), (spec.InitContainers ?? []).Select(c => Quantity.MemoryBytes(c.Resources?.Memory)).DefaultIfEmpty(0).Max()));

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

        var reasons = nodes.All.Select(n => nodes.Condition(n.Name) is { } condition
            ? $"{n.Name}: {condition}"
            : !Matches(n, spec.NodeSelector)
            ? $"{n.Name}: lacks nodeSelector labels"
            : $"{n.Name}: {n.CpuMillis - used.GetValueOrDefault(n.Name).Cpu}m cpu and {n.MemoryBytes - used.GetValueOrDefault(n.Name).Memory} bytes free");
        return $"no node fits {cpu}m cpu and {memory} bytes of memory with nodeSelector {{{string.Join(", ", spec.NodeSelector?.Select(kv => $"{kv.Key}: {kv.Value}") ?? [])}}} ({string.Join("; ", reasons)})";
    }
}

/// <summary>Where the scheduler would put a pod (null when nowhere) and why.</summary>
public sealed record SchedulingResult(ObjectRef Pod, string? Node, string Message);
