namespace GitOrch.Agent;

/// <summary>How a node agent is started (flags of <c>gitorch agent</c>).</summary>
public sealed record AgentOptions
{
    /// <summary>The controller's node endpoint (gRPC over mutual TLS), https://HOST:7781; several, comma-separated, are tried in turn.</summary>
    public required string Server { get; init; }

    /// <summary>A join token (<c>gitorch1.&lt;CA hash&gt;.&lt;secret&gt;</c>), needed only until the agent holds a node certificate.</summary>
    public string? JoinToken { get; init; }

    public required string Node { get; init; }

    public required string StateDir { get; init; }

    public IReadOnlyDictionary<string, string> Labels { get; init; } = new Dictionary<string, string>();

    public long CpuMillis { get; init; } = Environment.ProcessorCount * 1000L;

    public long MemoryBytes { get; init; } = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;

    public TimeSpan Heartbeat { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>The address other nodes reach this node at (<c>--address</c>); null: the local address the agent reaches the controller from.</summary>
    public string? UnderlayAddress { get; init; }

    /// <summary>A named network namespace that holds the node's network (<c>--netns</c>): pod veths, routes, forwarding, egress; null: the agent's own.</summary>
    public string? NetworkNamespace { get; init; }
}
