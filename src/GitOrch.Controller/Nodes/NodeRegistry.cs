using System.Collections.Concurrent;

namespace GitOrch.Controller.Nodes;

/// <summary>
/// The nodes the controller knows, and whether the scheduler may use them: a node is schedulable
/// unless it stopped heartbeating (not ready) or an operator declared it dead.
/// </summary>
public sealed class NodeRegistry
{
    private readonly ConcurrentDictionary<string, NodeInfo> _nodes = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, string> _unschedulable = new(StringComparer.Ordinal);

    /// <summary>
    /// Raised when a node may take pods it could not before: it joined, its labels or capacity
    /// changed, or it became schedulable again. Not raised for a heartbeat that changes nothing.
    /// </summary>
    public event Action? Changed;

    public void Register(NodeInfo node)
    {
        var before = _nodes.GetValueOrDefault(node.Name);
        _nodes[node.Name] = node;
        if (before is null || before.CpuMillis != node.CpuMillis || before.MemoryBytes != node.MemoryBytes || !SameLabels(before.Labels, node.Labels))
        {
            Changed?.Invoke();
        }
    }

    public IReadOnlyList<NodeInfo> All => _nodes.Values.OrderBy(n => n.Name, StringComparer.Ordinal).ToList();

    /// <summary>Nodes pods may be placed on.</summary>
    public IReadOnlyList<NodeInfo> Schedulable => All.Where(n => !_unschedulable.ContainsKey(n.Name)).ToList();

    /// <summary>Why a node takes no pods ("not ready: ...", "declared dead"), or null when it does.</summary>
    public string? Condition(string node) => _unschedulable.TryGetValue(node, out var why) ? why : null;

    public void MarkUnschedulable(string node, string why) => _unschedulable[node] = why;

    public void MarkSchedulable(string node)
    {
        if (_unschedulable.TryRemove(node, out _))
        {
            Changed?.Invoke();
        }
    }

    private static bool SameLabels(IReadOnlyDictionary<string, string> a, IReadOnlyDictionary<string, string> b) =>
        a.Count == b.Count && a.All(kv => b.TryGetValue(kv.Key, out var v) && v == kv.Value);
}
