using System.Collections.Concurrent;

namespace GitOrch.Controller.Nodes;

/// <summary>The nodes the controller knows. Agents register here (node agents arrive with their own API).</summary>
public sealed class NodeRegistry
{
    private readonly ConcurrentDictionary<string, NodeInfo> _nodes = new(StringComparer.Ordinal);

    public void Register(NodeInfo node) => _nodes[node.Name] = node;

    public IReadOnlyList<NodeInfo> All => _nodes.Values.OrderBy(n => n.Name, StringComparer.Ordinal).ToList();
}
