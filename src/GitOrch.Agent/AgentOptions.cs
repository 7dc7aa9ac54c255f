namespace GitOrch.Agent;

/// <summary>How a node agent is started (flags of <c>gitorch agent</c>).</summary>
public sealed record AgentOptions
{
    public required string Server { get; init; }

    public required string Node { get; init; }

    public required string StateDir { get; init; }

    public IReadOnlyDictionary<string, string> Labels { get; init; } = new Dictionary<string, string>();

    public long CpuMillis { get; init; } = Environment.ProcessorCount * 1000L;

    public long MemoryBytes { get; init; } = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;

    /// <summary>Where the agent serves container logs to the controller (port 0: any free port).</summary>
    public string Listen { get; init; } = "http://127.0.0.1:0";

    public TimeSpan Heartbeat { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>The address other nodes reach this node at (<c>--address</c>); null: the local address the agent reaches the controller from.</summary>
    public string? UnderlayAddress { get; init; }

    /// <summary>A named network namespace that holds the node's network (<c>--netns</c>): pod veths, routes, forwarding, egress; null: the agent's own.</summary>
    public string? NetworkNamespace { get; init; }
}
