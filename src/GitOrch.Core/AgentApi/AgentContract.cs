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

/// <summary>What a node reports about one pod. <c>InitContainers</c> lists the pod's init containers in order (none when it has none).</summary>
public sealed record PodReport(string Pod, string Generation, string Phase, int Restarts, string? Message, IReadOnlyList<ContainerReport> Containers, PodNetworkReport? Network = null,
    IReadOnlyList<InitContainerReport>? InitContainers = null);

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
/// <param name="UnderlayAddress">The address other nodes reach this node at (<c>agent --address</c>); the next hop of their route to this node's /64.</param>
/// <param name="PeerRoutes">The state of this node's route to every other node's /64.</param>
/// <param name="NetworkProblem">What keeps pod networking from working on this node (forwarding, egress), or null.</param>
/// <param name="StateDir">The agent's state folder (absolute, on the node): its image store is <c>STATE/images</c>, which <c>gitorch image</c> and the image-pull step's advice name.</param>
public sealed record NodeHeartbeat(
    string Node,
    IReadOnlyDictionary<string, string> Labels,
    long CpuMillis,
    long MemoryBytes,
    IReadOnlyList<string> Images,
    IReadOnlyList<PodReport> Pods,
    IReadOnlyList<string> Runtimes,
    string? UnderlayAddress = null,
    IReadOnlyList<PeerRouteReport>? PeerRoutes = null,
    string? NetworkProblem = null,
    string? StateDir = null);

/// <summary>A node's desired pods at a revision (the answer to a watch).</summary>
public sealed record AssignmentSet(string Node, long Revision, IReadOnlyList<PodAssignment> Pods);

/// <summary>The controller's answer to a heartbeat: the node's assignment revision and its place in the cluster network.</summary>
public sealed record HeartbeatAnswer(long Revision, NodeNetwork? Network);

/// <summary>
/// A node's place in the pod network: its /64 of the cluster prefix, whether pods get IPv4 egress,
/// and every other live node (its /64 and underlay address) to route to.
/// </summary>
public sealed record NodeNetwork(string Subnet, bool Ipv4Egress, IReadOnlyList<PeerNode> Peers);

/// <summary>Another node: its /64 is routed via its underlay address (null: it reported none, so no route).</summary>
public sealed record PeerNode(string Node, string Subnet, string? Underlay);

/// <summary>A node's route to a peer's /64. State: <c>installed</c>, <c>unreachable</c> (route in place, the underlay does not answer) or <c>refused</c> (no route; Problem says why).</summary>
public sealed record PeerRouteReport(string Node, string Subnet, string? Via, string State, string? Problem);

/// <summary>A pod's network as its node sees it: address, host-side veth, the /128 route, and the node-local IPv4 when it has egress.</summary>
public sealed record PodNetworkReport(string Address, string HostInterface, bool InterfacePresent, bool RoutePresent, string? Ipv4, string? Problem);
