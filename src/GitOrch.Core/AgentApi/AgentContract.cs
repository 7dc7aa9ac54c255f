using System.Text.Json;

namespace GitOrch.Core.AgentApi;

// The agent API: the contract between the controller and its node agents (HTTP/JSON).

/// <summary>
/// What a node must run for one pod: the pod spec with its address and ports, under a generation
/// (a hash of all of it). A new generation means "restart in place with this definition".
/// </summary>
public sealed record PodAssignment(string Pod, string Generation, JsonElement Spec, string? PodIP, IReadOnlyDictionary<string, int> Ports, int GracePeriodSeconds);

/// <summary>What a node reports about one pod. <c>InitContainers</c> lists the pod's init containers in order (none when it has none).</summary>
public sealed record PodReport(string Pod, string Generation, string Phase, int Restarts, string? Message, IReadOnlyList<ContainerReport> Containers,
    IReadOnlyList<InitContainerReport>? InitContainers = null);

public sealed record ContainerReport(string Name, string State, int? Pid, int Restarts, int? ExitCode, DateTimeOffset? StartedAt);

/// <summary>
/// One init container of the pod's current generation. <c>State</c>: <c>waiting</c> (an earlier one has
/// not finished), <c>running</c>, <c>done</c> (exited 0), <c>retrying</c> (exited non-zero, run again after
/// <c>RetryAt</c> by the pod's restartPolicy) or <c>failed</c> (exited non-zero under restartPolicy Never,
/// or cannot start). <c>LastLines</c>: the end of its output, for <c>why</c>.
/// </summary>
public sealed record InitContainerReport(
    string Name,
    string State,
    int Attempts,
    int? ExitCode,
    DateTimeOffset? StartedAt,
    DateTimeOffset? FinishedAt,
    DateTimeOffset? RetryAt,
    string? Message,
    IReadOnlyList<string> LastLines);

/// <summary>What an agent sends when it registers and on every heartbeat.</summary>
public sealed record NodeHeartbeat(
    string Node,
    IReadOnlyDictionary<string, string> Labels,
    long CpuMillis,
    long MemoryBytes,
    IReadOnlyList<string> Images,
    IReadOnlyList<PodReport> Pods,
    IReadOnlyList<string> Runtimes,
    string? LogsUrl = null);

/// <summary>A node's desired pods at a revision (the answer to a watch).</summary>
public sealed record AssignmentSet(string Node, long Revision, IReadOnlyList<PodAssignment> Pods);
