namespace GitOrch.Controller;

/// <summary>How the controller is started (flags of <c>gitorch controller</c> and <c>gitorch up</c>).</summary>
public sealed record ControllerOptions
{
    public const string DefaultListen = "https://127.0.0.1:7780";

    /// <summary>Where <c>up</c> serves the node protocol (gRPC, mutual TLS) by default: its own agent is local.</summary>
    public const string DefaultAgentListenUp = "https://127.0.0.1:7781";

    /// <summary>Where <c>controller</c> serves the node protocol by default: agents on other machines join it.</summary>
    public const string DefaultAgentListenController = "https://[::]:7781";

    /// <summary>A local repository (or a folder inside one) or a remote URL (file://, http(s), ssh).</summary>
    public required string Repo { get; init; }

    /// <summary>The branch to follow; default: the current branch (local) or main (remote).</summary>
    public string? Branch { get; init; }

    /// <summary>The folder of the repo that holds manifests (relative to its root).</summary>
    public string? Path { get; init; }

    public string StateDir { get; init; } = ".gitorch";

    public string Listen { get; init; } = DefaultListen;

    /// <summary>Where node agents connect (gRPC with mutual TLS); none serves no node protocol (a controller with no agents, as in some tests).</summary>
    public string? AgentListen { get; init; }

    public TimeSpan Poll { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Shared secret for push webhooks (X-Hub-Signature-256); none disables the webhook.</summary>
    public string? WebhookSecret { get; init; }

    /// <summary>The forge that holds the config repo's pull requests, for rollout approvals; none means large steps cannot be approved.</summary>
    public Forge.GitHubOptions? GitHub { get; init; }

    /// <summary>
    /// How often a head commit that waits for a rollout approval is re-checked against its pull
    /// request's reviews (a <c>pull_request_review</c> webhook or <c>gitorch sync</c> re-checks at once).
    /// </summary>
    public TimeSpan ApprovalPoll { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How long a node may miss heartbeats before its <c>ha</c> pods are rescheduled.</summary>
    public TimeSpan NodeGrace { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// This process's place among the control plane's replicas (the replicated control plane gives
    /// an <see cref="Replication.ElectedReplicaRole"/>); none: the process is the only replica and
    /// always leads (<see cref="Replication.SingleReplicaRole"/>).
    /// </summary>
    public Replication.IReplicaRole? Replica { get; init; }

    /// <summary>Nodes known from the start (the local node of <c>gitorch up</c>).</summary>
    public IReadOnlyList<Nodes.NodeInfo> Nodes { get; init; } = [];
}
