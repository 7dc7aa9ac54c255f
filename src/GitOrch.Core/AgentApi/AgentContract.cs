using System.Text.Json;

namespace GitOrch.Core.AgentApi;

// The agent API: the contract between the controller and its node agents (HTTP/JSON).

/// <summary>
/// What a node must run for one pod: the pod spec with its address and ports, under a generation
/// (a hash of all of it). A new generation means "restart in place with this definition".
/// </summary>
public sealed record PodAssignment(string Pod, string Generation, JsonElement Spec, string? PodIP, IReadOnlyDictionary<string, int> Ports, int GracePeriodSeconds);

/// <summary>What a node reports about one pod.</summary>
public sealed record PodReport(string Pod, string Generation, string Phase, int Restarts, string? Message, IReadOnlyList<ContainerReport> Containers);

/// <summary>
/// One container as its node sees it. <see cref="State"/> is <c>running</c>, <c>starting</c>,
/// <c>exited</c>, <c>failed</c> (cannot run) or <c>crashloop</c> (exited unexpectedly, waiting in
/// its restart backoff until <see cref="NextAttemptAt"/>). <see cref="LastOutput"/> holds the
/// container's last output lines (repeats folded, "line (×3)") when it is not running.
/// </summary>
public sealed record ContainerReport(
    string Name,
    string State,
    int? Pid,
    int Restarts,
    int? ExitCode,
    DateTimeOffset? StartedAt,
    DateTimeOffset? FinishedAt = null,
    DateTimeOffset? NextAttemptAt = null,
    IReadOnlyList<string>? LastOutput = null);

/// <summary>
/// What an agent sends when it registers and on every heartbeat. <see cref="StateDir"/> is the
/// agent's state folder (absolute, on the node): its image store is <c>STATE/images</c>, which is
/// what <c>gitorch image</c> and the image-pull step's advice name.
/// </summary>
public sealed record NodeHeartbeat(
    string Node,
    IReadOnlyDictionary<string, string> Labels,
    long CpuMillis,
    long MemoryBytes,
    IReadOnlyList<string> Images,
    IReadOnlyList<PodReport> Pods,
    IReadOnlyList<string> Runtimes,
    string? LogsUrl = null,
    string? StateDir = null);

/// <summary>A node's desired pods at a revision (the answer to a watch).</summary>
public sealed record AssignmentSet(string Node, long Revision, IReadOnlyList<PodAssignment> Pods);
