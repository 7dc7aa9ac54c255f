namespace GitOrch.Controller.Agents;

/// <summary>The log channel each connected agent keeps open (at most one per node: the newest wins).</summary>
public sealed class NodeLogChannels
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, NodeLogChannel> _channels = new(StringComparer.Ordinal);

    public void Register(NodeLogChannel channel)
    {
        lock (_gate)
        {
            _channels[channel.Node] = channel;
        }
    }

    public void Unregister(NodeLogChannel channel)
    {
        lock (_gate)
        {
            if (_channels.TryGetValue(channel.Node, out var current) && ReferenceEquals(current, channel))
            {
                _channels.Remove(channel.Node);
            }
        }
    }

    public NodeLogChannel? For(string node)
    {
        lock (_gate)
        {
            return _channels.GetValueOrDefault(node);
        }
    }
}
