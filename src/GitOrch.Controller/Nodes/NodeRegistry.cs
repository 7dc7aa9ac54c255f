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

    public void Register(NodeInfo node) => _nodes[node.Name] = node;

    public IReadOnlyList<NodeInfo> All => _nodes.Values.OrderBy(n => n.Name, StringComparer.Ordinal).ToList();

    /// <summary>Nodes pods may be placed on.</summary>
    public IReadOnlyList<NodeInfo> Schedulable => All.Where(n => !_unschedulable.ContainsKey(n.Name)).ToList();

    /// <summary>Why a node takes no pods ("not ready: ...", "declared dead"), or null when it does.</summary>
    public string? Condition(string node) => _unschedulable.TryGetValue(node, out var why) ? why : null;

    public void MarkUnschedulable(string node, string why) => _unschedulable[node] = why;

    public void MarkSchedulable(string node) => _unschedulable.TryRemove(node, out _);
}
