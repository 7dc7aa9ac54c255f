using GitOrch.Controller.Nodes;
using GitOrch.Controller.Agents;
using GitOrch.Controller.Replication;
using GitOrch.Core.AgentApi;
using System.Text.Json;
using System.Text.Json.Nodes;
using GitOrch.Core.Diagnostics;
using GitOrch.Core.Logs;
using GitOrch.Core.Manifests;
using GitOrch.Core.Ownership;
using GitOrch.Workflow.Analysis;
using GitOrch.Workflow.Model;
using GitOrch.History.Store;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace GitOrch.Controller.Api;

/// <summary>
/// Workflows (why, logs, graph, critical chain), the loop registry, nodes and their pods' logs. The
/// workflow reads and container logs come from the leader's workflow engine and its agents' log
/// channels, so only the leader serves them (<see cref="ReplicaEndpoints.LeaderOnly{TBuilder}"/>).
/// </summary>
public static class WorkflowEndpoints
{
    private static readonly JsonSerializerOptions ContainerJson = new(JsonSerializerDefaults.Web);

    public static void Map(IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v1");

        api.MapGet("/objects/{kind}/{name}/workflow", (Workflow.Execution.WorkflowEngine engine, HistoryStore store, AgentGateway agents, ClusterNetwork network, string kind, string name, string? @namespace) =>
            WithTransaction(engine, store, kind, name, @namespace, (obj, t) =>
            {
                var logs = engine.Logs(obj, 2000, t.Id);
                // Repeated identical lines (a step polling the same answer) read once, with a count.
                var report = WorkflowAnalysis.Report(t, step => LogFolding.Fold(
                    logs.Where(l => l.Step == step), l => l.Level + " " + l.Message, (l, n) => n == 1 ? l : l with { Message = $"{l.Message} (×{n})" }).TakeLast(5).ToList());
                var status = store.Get(obj) is { Deleted: false } stored ? GitOrch.Core.Manifests.ManifestJson.Parse(stored.ObjectJson)["status"] : null;
                if (obj.Kind != Kinds.Pod)
                {
                    // A PinnedDeployment is "running" when its workflow is done: every pod runs its version.
                    var ready = status?["readyReplicas"]?.ToString();
                    var replicas = status?["replicas"]?.ToString();
                    var done = t.State == "done";
                    return Results.Ok(new WhyModel(report, done ? $"Ready ({ready}/{replicas} pods)" : $"Rolling out ({ready ?? "0"}/{replicas ?? "?"} pods ready)", done));
                }

                var phase = status?["phase"]?.ToString();
                var restarts = (int)(status?["restarts"].AsInteger() ?? 0);
                var containers = status?["containers"] is JsonArray list
                    ? JsonSerializer.Deserialize<List<ContainerReport>>(list.Write(), ContainerJson)
                    : null;
                var node = status?["nodeName"]?.ToString();
                var podNetwork = node is null ? null : NetworkOf(agents, network, node, obj, status);
                return Results.Ok(new WhyModel(report, phase ?? "Pending", phase == "Running", restarts, node, podNetwork, containers));
            })).LeaderOnly();

        api.MapGet("/objects/{kind}/{name}/logs", (Workflow.Execution.WorkflowEngine engine, HistoryStore store, string kind, string name, string? @namespace, int? limit) =>
            Resolve(kind, name, @namespace) is not { } obj ? UnknownKind(kind)
            : store.Get(obj) is null ? Results.NotFound(new ErrorModel($"{obj.Display} not found; list objects with `gitorch get {obj.Kind.ToLowerInvariant()} -A`"))
            : Results.Ok(engine.Logs(obj, limit ?? 1000))).LeaderOnly();

        api.MapGet("/objects/{kind}/{name}/graph", (Workflow.Execution.WorkflowEngine engine, HistoryStore store, string kind, string name, string? @namespace) =>
            WithTransaction(engine, store, kind, name, @namespace, (_, t) => Results.Ok(new GraphModel(WorkflowAnalysis.Dot(t))))).LeaderOnly();

        api.MapGet("/objects/{kind}/{name}/critical-chain", (Workflow.Execution.WorkflowEngine engine, HistoryStore store, string kind, string name, string? @namespace) =>
            WithTransaction(engine, store, kind, name, @namespace, (obj, t) => Results.Ok(new CriticalChainModel(
                obj.Key, t.Id, t.State, WorkflowAnalysis.CriticalChain(t).Select(c => new ChainLinkModel(c.Unit.Name, c.Unit.State.ToText(), c.Start.TotalSeconds, c.Duration.TotalSeconds)).ToList())))).LeaderOnly();

        api.MapGet("/loops", (Snapshots.ConfigSnapshotProvider snapshots) =>
        {
            var loops = snapshots.Current.Loops;
            return Results.Ok(loops.Select(l => new LoopModel(
                l.Name, l.IsBuiltIn, l.Description, l.ObjectKinds, l.Owns.Select(p => p.ToString()).ToList(), l.Reads.Select(p => p.ToString()).ToList(),
                l.Step.Before ?? [], l.Step.After ?? [], l.Step.Requires ?? [], l.Step.Wants ?? [], l.Step.TimeoutSeconds, l.Step.MaxAttempts,
                l.Selector?.Namespaces ?? [], l.Selector?.Labels ?? new Dictionary<string, string>(),
                l.IsBuiltIn ? "built-in" : ((ControlLoop)l.Source!.Object).Spec.Exec is { } exec ? "exec: " + string.Join(' ', exec.Command) : "http: " + ((ControlLoop)l.Source.Object).Spec.Http!.Url,
                l.Source?.Location.ToString())).ToList());
        });

        api.MapGet("/nodes/{node}/image-roots", (Snapshots.ConfigSnapshotProvider snapshots, HistoryStore store, string node) =>
        {
            // GC roots: every image of the last history.pinImages versions of each pod on the node,
            // so that a rollback never waits for an image.
            var pin = snapshots.Current.ClusterPolicy?.Spec.History?.PinImages ?? 3;
            var roots = new SortedSet<string>(StringComparer.Ordinal);
            foreach (var pod in store.List(Kinds.Pod).Where(p => GitOrch.Core.Manifests.ManifestJson.Parse(p.ObjectJson)["status"]?["nodeName"]?.ToString() == node))
            {
                var images = new List<string>();
                foreach (var version in store.History(pod.Ref).Reverse())
                {
                    var json = store.Version(pod.Ref, version.Version)?.ObjectJson;
                    var containerImages = json is null ? [] : (GitOrch.Core.Manifests.ManifestJson.Parse(json)["spec"]?["initContainers"] as JsonArray ?? []).Concat(GitOrch.Core.Manifests.ManifestJson.Parse(json)["spec"]?["containers"] as JsonArray ?? []).Select(c => c?["image"]?.ToString()).OfType<string>().ToList();
                    if (containerImages.Count > 0 && (images.Count == 0 || !images[^1].Equals(string.Join(' ', containerImages), StringComparison.Ordinal)))
                    {
                        images.Add(string.Join(' ', containerImages));
                        roots.UnionWith(containerImages);
                    }

                    if (images.Count >= pin)
                    {
                        break;
                    }
                }
            }

            return Results.Ok(new { node, pinImages = pin, roots });
        });

        api.MapPost("/nodes/{node}/dead", (Nodes.NodeRegistry nodes, Nodes.NodeHealthService health, string node) =>
            nodes.All.Any(n => n.Name == node)
                ? Results.Ok(new { node, warning = health.AliveWarning(node), rescheduled = health.DeclareDead(node).Select(p => p.Key).ToList() })
                : Results.NotFound(new ErrorModel($"no node {node}; list nodes with `gitorch nodes`")));

        api.MapPost("/nodes/{node}/revoke", (Trust.TokenStore tokens, Nodes.NodeRegistry nodes, System.Security.Claims.ClaimsPrincipal user, string node) =>
        {
            if (!nodes.All.Any(n => n.Name == node) && !tokens.HasNodeCertificates(node))
            {
                // A typo would revoke nothing and say it did: only a node the cluster knows is revoked.
                var known = nodes.All.Select(n => n.Name).OrderBy(n => n, StringComparer.Ordinal).ToList();
                return Results.NotFound(new ErrorModel($"no node {node} has joined this cluster{(known.Count > 0 ? $" (nodes: {string.Join(", ", known)})" : string.Empty)}; list nodes with `gitorch nodes`"));
            }

            var certificates = tokens.RevokeNode(node, user.Identity?.Name ?? "unknown");
            return Results.Ok(new { node, certificates, message = $"node {node}'s certificates are revoked: its agent is refused from its next call; it joins again only with a new join token" });
        });

        api.MapGet("/objects/{kind}/{name}/container-logs", async (HistoryStore store, AgentGateway agents, string kind, string name, string? @namespace, string? container, int? tail, CancellationToken ct) =>
        {
            if (Resolve(kind, name, @namespace) is not { } obj)
            {
                return UnknownKind(kind);
            }

            if (store.Get(obj) is not { Deleted: false } stored)
            {
                return Results.NotFound(new ErrorModel($"{obj.Display} not found"));
            }

            var json = GitOrch.Core.Manifests.ManifestJson.Parse(stored.ObjectJson);
            var node = json["status"]?["nodeName"]?.ToString();
            var names = (json["spec"]?["containers"] as JsonArray ?? []).Concat(json["spec"]?["initContainers"] as JsonArray ?? []).Select(c => c?["name"]?.ToString()).OfType<string>().ToList();
            var containerName = container ?? names.FirstOrDefault() ?? "main";
            if (!names.Contains(containerName))
            {
                return Results.NotFound(new ErrorModel($"{obj.Display} has no container {containerName}; its containers: {string.Join(", ", names)}"));
            }

            if (node is null || agents.Logs.For(node) is not { } channel)
            {
                return Results.NotFound(new ErrorModel(node is null
                    ? $"{obj.Display} has no node yet; see gitorch why {obj.Name} -n {obj.Namespace}"
                    : $"node {node}'s agent is not connected (is it running? see gitorch nodes)"));
            }

            // The logs come down the agent's own authenticated channel; the controller fetches no URL a node names.
            var reply = await channel.RequestAsync(obj.Key, containerName, Math.Clamp(tail ?? 200, 1, 100_000), TimeSpan.FromSeconds(10), ct);
            return reply is null ? Results.Json(new ErrorModel($"node {node}'s agent did not answer for the logs within 10 s; check it with gitorch nodes"), statusCode: 504)
                : reply.Found ? Results.Text(string.Join('\n', reply.Lines) + (reply.Lines.Count > 0 ? "\n" : string.Empty))
                : Results.NotFound(new ErrorModel($"node {node} does not run {obj.Display} now (see gitorch why {obj.Name} -n {obj.Namespace})"));
        }).LeaderOnly();

        api.MapGet("/nodes", (Nodes.NodeRegistry nodes, AgentGateway agents, ClusterNetwork network) => Results.Ok(nodes.All.Select(n =>
        {
            agents.Reports.TryGetValue(n.Name, out var report);
            return new NodeStatusModel(n.Name, n.Labels, n.CpuMillis, n.MemoryBytes, agents.LastSeen(n.Name), nodes.Condition(n.Name),
                report?.Runtimes ?? [], report?.Images ?? [], agents.Assignments(n.Name).Pods.Select(p => p.Pod).ToList(), report?.Pods ?? [],
                new NodeNetworkModel(network.SubnetOf(n.Name), report?.UnderlayAddress, report?.PeerRoutes ?? [], network.Problems(n.Name)), report?.StateDir);
        }).ToList()));
    }

    /// <summary>A pod's address and what its node sees of it (veth, route) and of its routes to other nodes.</summary>
    private static PodNetworkModel? NetworkOf(AgentGateway agents, ClusterNetwork network, string node, ObjectRef obj, JsonNode? status)
    {
        var address = status?["podIP"]?.ToString();
        agents.Reports.TryGetValue(node, out var heartbeat);
        var pod = heartbeat?.Pods.FirstOrDefault(p => p.Pod == obj.Key);
        if (address is null && pod?.Network is null)
        {
            return null;
        }

        return new PodNetworkModel(address, network.SubnetOf(node), heartbeat?.UnderlayAddress, pod?.Network, heartbeat?.PeerRoutes ?? [], network.Problems(node));
    }

    private static IResult WithTransaction(Workflow.Execution.WorkflowEngine engine, HistoryStore store, string kind, string name, string? ns, Func<ObjectRef, Workflow.Model.Transaction, IResult> then)
    {
        if (Resolve(kind, name, ns) is not { } obj)
        {
            return UnknownKind(kind);
        }

        var transaction = engine.Current(obj);
        if (transaction is null)
        {
            return Results.NotFound(new ErrorModel(!Workflows.WorkflowService.HasWorkflow(obj.Kind)
                ? $"{obj.Display}: only pods and PinnedDeployments have workflows; see gitorch get {obj.Kind.ToLowerInvariant()} {obj.Name}"
                : store.Get(obj) is { Deleted: false }
                ? $"{obj.Display} has no workflow yet; it gets one when the controller applies it (gitorch status)"
                : $"{obj.Display} not found; list objects with `gitorch get {obj.Kind.ToLowerInvariant()}{(obj.Namespace.Length > 0 ? " -n " + obj.Namespace : string.Empty)}`"));
        }

        return then(obj, transaction);
    }

    private static ObjectRef? Resolve(string kind, string name, string? ns) =>
        Kinds.Resolve(kind) is { } resolved ? new ObjectRef(resolved, Kinds.IsNamespaced(resolved) ? ns ?? ManifestObject.DefaultNamespace : string.Empty, name) : null;

    private static IResult UnknownKind(string kind) =>
        Results.BadRequest(new ErrorModel($"unknown kind \"{kind}\"; use one of: {string.Join(", ", Kinds.All)}"));
}

/// <summary>
/// <c>why</c>'s answer: the workflow, the phase, and for a pod its network and its containers as the
/// node last reported them (exit code, restarts, next attempt and last output of a crash loop).
/// </summary>
public sealed record WhyModel(WorkflowReport Workflow, string Phase, bool Running, int Restarts = 0, string? Node = null, PodNetworkModel? Network = null, IReadOnlyList<ContainerReport>? Containers = null);

/// <summary>A pod's network for <c>why</c>: its address (status.podIP), its node's /64 and underlay, what the node sees (veth, route), the node's routes to peers, and problems.</summary>
public sealed record PodNetworkModel(string? Address, string NodeSubnet, string? NodeUnderlay, PodNetworkReport? OnNode, IReadOnlyList<PeerRouteReport> PeerRoutes, IReadOnlyList<string> Problems);

/// <summary>A node's network for <c>nodes</c>: its /64, its underlay address, its routes to peers, and problems.</summary>
public sealed record NodeNetworkModel(string Subnet, string? Underlay, IReadOnlyList<PeerRouteReport> PeerRoutes, IReadOnlyList<string> Problems);

public sealed record GraphModel(string Dot);

public sealed record ChainLinkModel(string Unit, string State, double StartSeconds, double DurationSeconds);

public sealed record CriticalChainModel(string Object, long Transaction, string State, IReadOnlyList<ChainLinkModel> Chain);

public sealed record LoopModel(
    string Name, bool BuiltIn, string Description, IReadOnlyList<string> ObjectKinds, IReadOnlyList<string> Owns, IReadOnlyList<string> Reads,
    IReadOnlyList<string> Before, IReadOnlyList<string> After, IReadOnlyList<string> Requires, IReadOnlyList<string> Wants,
    int TimeoutSeconds, int MaxAttempts, IReadOnlyList<string> Namespaces, IReadOnlyDictionary<string, string> Labels, string Handler, string? Source);

public sealed record NodeStatusModel(
    string Name, IReadOnlyDictionary<string, string> Labels, long CpuMillis, long MemoryBytes, DateTimeOffset? LastSeen, string? Condition,
    IReadOnlyList<string> Runtimes, IReadOnlyList<string> Images, IReadOnlyList<string> Assigned, IReadOnlyList<PodReport> Pods, NodeNetworkModel? Network = null, string? StateDir = null);
