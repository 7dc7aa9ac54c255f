using System.Text.Json;

namespace GitOrch.Core.AgentApi;

// The agent API: the contract between the controller and its node agents (HTTP/JSON).

/// <summary>
/// What a node must run for one pod: the pod spec with its address and ports, under a generation
/// (a hash of all of it). A new generation means "restart in place with this definition".
/// </summary>
public sealed record PodAssignment(string Pod, string Generation, JsonElement Spec, string? PodIP, IReadOnlyDictionary<string, int> Ports, int GracePeriodSeconds);

/// <summary>What a node reports about one pod.</summary>
public sealed record PodReport(string Pod, string Generation, string Phase, int Restarts, string? Message, IReadOnlyList<ContainerReport> Containers, PodNetworkReport? Network = null);

public sealed record ContainerReport(string Name, string State, int? Pid, int Restarts, int? ExitCode, DateTimeOffset? StartedAt);

/// <summary>What an agent sends when it registers and on every heartbeat.</summary>
/// <param name="UnderlayAddress">The address other nodes reach this node at (<c>agent --address</c>); the next hop of their route to this node's /64.</param>
/// <param name="PeerRoutes">The state of this node's route to every other node's /64.</param>
/// <param name="NetworkProblem">What keeps pod networking from working on this node (forwarding, egress), or null.</param>
public sealed record NodeHeartbeat(
    string Node,
    IReadOnlyDictionary<string, string> Labels,
    long CpuMillis,
    long MemoryBytes,
    IReadOnlyList<string> Images,
    IReadOnlyList<PodReport> Pods,
    IReadOnlyList<string> Runtimes,
    string? LogsUrl = null,
    string? UnderlayAddress = null,
    IReadOnlyList<PeerRouteReport>? PeerRoutes = null,
    string? NetworkProblem = null);

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
