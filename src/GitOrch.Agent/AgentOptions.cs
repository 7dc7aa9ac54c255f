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
}
