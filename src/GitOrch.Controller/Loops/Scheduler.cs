using System.Text.Json.Nodes;
using GitOrch.Controller.Nodes;
using GitOrch.Core.Diagnostics;
using GitOrch.Core.Manifests;
using GitOrch.Core.Ownership;
using GitOrch.Workflow.Loops;

namespace GitOrch.Controller.Loops;

/// <summary>
/// The built-in <c>scheduler</c> loop: places a pod on a node that has its nodeSelector labels and
/// room for its cpu and memory, preferring the fullest such node (bin-packing). It writes only
/// <c>status.nodeName</c>. When no node fits it says why for every node, and tries again when a
/// node joins or room is freed (or, failing that, after a delay that grows to 5 min).
/// What each node holds comes from the <see cref="PodIndex"/>, which counts a placement the moment
/// it is decided: one placement costs the nodes, not the pods, and two never share a last slot.
/// </summary>
public sealed class Scheduler(PodIndex index, NodeRegistry nodes) : IBuiltInLoop
{
    public const string Field = "status.nodeName";

    /// <summary>
    /// How long a pod that fits nowhere waits before it is tried again: 10 s after the first try,
    /// doubling to at most 5 min. A node joining or changing, or room freed on one, wakes it at once
    /// (the workflow service wires <see cref="NodeRegistry.Changed"/> and <see cref="PodIndex.RoomFreed"/>
    /// to the engine), so the delay only bounds how long a change nobody announced goes unseen.
    /// 10,000 unplaced pods polled every 10 s would be a step a millisecond, for nothing.
    /// </summary>
    public static TimeSpan RetryUnschedulable(int attempt) =>
        TimeSpan.FromSeconds(Math.Min(300, 10 * Math.Pow(2, Math.Clamp(attempt - 1, 0, 5))));

    public string Name => BuiltInLoops.Scheduler;

    public ValueTask<LoopAnswer> RunAsync(BuiltInStep step, CancellationToken ct)
    {
        var placed = step.Object["status"]?["nodeName"]?.ToString();
        var result = Place(step.Ref, step.Object, placed);
        return ValueTask.FromResult(result.Node is null
            ? BuiltInStep.Requeue(RetryUnschedulable(step.Invocation.Attempt), result.Message)
            : result.Node == placed
            ? BuiltInStep.Set($"stays on {placed}")
            : BuiltInStep.Set($"place {step.Ref.Display} on {result.Node}", (Field, result.Node)));
    }

    /// <summary>Where the pod fits best now (null when nowhere), and why; the answer is claimed in the index.</summary>
    public SchedulingResult Place(ObjectRef pod, JsonObject json) => Place(pod, json, null);

    /// <summary>
    /// Where the pod goes: it stays on <paramref name="placed"/> while that node is schedulable and
    /// still has its labels and room (only resources or nodeSelector changes move a pod); otherwise
    /// the fullest node that fits.
    /// </summary>
    private SchedulingResult Place(ObjectRef pod, JsonObject json, string? placed)
    {
        var spec = json["spec"]?.Bind<PodSpec>()
            ?? throw new LoopCallException($"{pod.Display} has no spec");
        var (cpu, memory) = Requests(spec);
        var schedulable = nodes.Schedulable;
        return index.Place(pod, used =>
        {
            bool Fits(NodeInfo n) => Matches(n, spec.NodeSelector) && used(n.Name).CpuMillis + cpu <= n.CpuMillis && used(n.Name).MemoryBytes + memory <= n.MemoryBytes;
            if (schedulable.FirstOrDefault(n => n.Name == placed) is { } current && Fits(current))
            {
                return new SchedulingResult(pod, current.Name, $"stays on {current.Name}");
            }

            var fitting = schedulable
                .Where(Fits)
                .OrderByDescending(n => Fullness(n, used(n.Name), cpu, memory))
                .ThenBy(n => n.Name, StringComparer.Ordinal)
                .FirstOrDefault();
            return fitting is null
                ? new SchedulingResult(pod, null, Explain(spec, cpu, memory, used))
                : new SchedulingResult(pod, fitting.Name, $"placed on {fitting.Name} ({cpu}m cpu, {memory} bytes)");
        }, result => result.Node);
    }

    /// <summary>What the pod reserves: its containers together, or its largest init container if that is more (they run one at a time, before them).</summary>
    internal static (long Cpu, long Memory) Requests(PodSpec spec) =>
        (Math.Max(spec.Containers.Sum(c => Quantity.CpuMillis(c.Resources?.Cpu)), (spec.InitContainers ?? []).Select(c => Quantity.CpuMillis(c.Resources?.Cpu)).DefaultIfEmpty(0).Max()),
         Math.Max(spec.Containers.Sum(c => Quantity.MemoryBytes(c.Resources?.Memory)), (spec.InitContainers ?? []).Select(c => Quantity.MemoryBytes(c.Resources?.Memory)).DefaultIfEmpty(0).Max()));

    private static bool Matches(NodeInfo node, IReadOnlyDictionary<string, string>? selector) =>
        selector is null || selector.All(kv => node.Labels.TryGetValue(kv.Key, out var v) && v == kv.Value);

    private static double Fullness(NodeInfo node, NodeUsage used, long cpu, long memory) =>
        ((double)(used.CpuMillis + cpu) / Math.Max(1, node.CpuMillis)) + ((double)(used.MemoryBytes + memory) / Math.Max(1, node.MemoryBytes));

    private string Explain(PodSpec spec, long cpu, long memory, Func<string, NodeUsage> used)
    {
        if (nodes.All.Count == 0)
        {
            return "no node is registered; start an agent (or gitorch up, which runs one)";
        }

        var reasons = nodes.All.Select(n => nodes.Condition(n.Name) is { } condition
            ? $"{n.Name}: {condition}"
            : !Matches(n, spec.NodeSelector)
            ? $"{n.Name}: lacks nodeSelector labels"
            : $"{n.Name}: {n.CpuMillis - used(n.Name).CpuMillis}m cpu and {n.MemoryBytes - used(n.Name).MemoryBytes} bytes free");
        return $"no node fits {cpu}m cpu and {memory} bytes of memory with nodeSelector {{{string.Join(", ", spec.NodeSelector?.Select(kv => $"{kv.Key}: {kv.Value}") ?? [])}}} ({string.Join("; ", reasons)})";
    }
}

/// <summary>Where the scheduler would put a pod (null when nowhere) and why.</summary>
public sealed record SchedulingResult(ObjectRef Pod, string? Node, string Message);
