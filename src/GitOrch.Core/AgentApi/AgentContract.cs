using System.Text.Json;

namespace GitOrch.Core.AgentApi;

// The agent API: the contract between the controller and its node agents, as C# records. On the
// wire they travel as the messages of proto/gitorch/agent/v1/agent.proto (gRPC over mutual TLS);
// GitOrch.Contracts maps one to the other. A field added here must be added there too.

/// <summary>
/// What a node must run for one pod: the pod spec with its address and ports, under a generation
/// (a hash of all of it). A new generation means "restart in place with this definition".
/// </summary>
public sealed record PodAssignment(string Pod, string Generation, JsonElement Spec, string? PodIP, IReadOnlyDictionary<string, int> Ports, int GracePeriodSeconds);

/// <summary>What a node reports about one pod.</summary>
public sealed record PodReport(string Pod, string Generation, string Phase, int Restarts, string? Message, IReadOnlyList<ContainerReport> Containers);

public sealed record ContainerReport(string Name, string State, int? Pid, int Restarts, int? ExitCode, DateTimeOffset? StartedAt);

/// <summary>What an agent sends when it registers and on every heartbeat.</summary>
public sealed record NodeHeartbeat(
    string Node,
    IReadOnlyDictionary<string, string> Labels,
    long CpuMillis,
    long MemoryBytes,
    IReadOnlyList<string> Images,
    IReadOnlyList<PodReport> Pods,
    IReadOnlyList<string> Runtimes);

/// <summary>A node's desired pods at a revision (the answer to a watch).</summary>
public sealed record AssignmentSet(string Node, long Revision, IReadOnlyList<PodAssignment> Pods);
