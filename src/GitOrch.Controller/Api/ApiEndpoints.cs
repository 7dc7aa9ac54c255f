using System.Text.Json;
using System.Text.Json.Nodes;
using GitOrch.Core.Diagnostics;
using GitOrch.Core.Manifests;
using GitOrch.Core.Rendering;
using GitOrch.Core.Schema;
using GitOrch.History;
using GitOrch.History.Store;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace GitOrch.Controller.Api;

/// <summary>
/// The controller's HTTP/JSON API (<c>/api/v1</c>): status, objects, versions, diffs, blame, and
/// the push webhook. Every error is JSON <c>{"error": "..."}</c> that says what to do.
/// </summary>
public static class ApiEndpoints
{
    public static void Map(IEndpointRouteBuilder app, string? webhookSecret)
    {
        var api = app.MapGroup("/api/v1");

        // Counts come from one query over an index (no object's row is read): status stays cheap at
        // 10,000 objects and more.
        api.MapGet("/status", (ControllerService controller, HistoryStore store, Nodes.NodeRegistry nodes, Replication.IReplicaRole role, int? limit) => Results.Ok(new StatusModel(
            controller.Status,
            store.Commits(limit ?? 20).Select(ToModel).ToList(),
            store.CountByKind(),
            nodes.All.Select(n => new NodeModel(n.Name, n.Labels, n.CpuMillis, n.MemoryBytes)).ToList(),
            ToModel(role.Current))));

        api.MapGet("/objects", (HistoryStore store, string? kind, string? @namespace) =>
        {
            string? resolved = null;
            if (kind is not null && (resolved = Kinds.Resolve(kind)) is null)
            {
                return UnknownKind(kind);
            }

            var ns = resolved is not null && !Kinds.IsNamespaced(resolved) ? null : @namespace;
            return Results.Ok(store.List(resolved, ns).Select(Summary).ToList());
        });

        api.MapGet("/objects/{kind}/{name}", (HistoryStore store, string kind, string name, string? @namespace) =>
            WithObject(store, kind, name, @namespace, (obj, stored) => stored.Deleted
                ? Results.NotFound(new ErrorModel($"{obj.Display} was deleted in version {stored.Version}; its history stays readable: gitorch history {obj.Kind.ToLowerInvariant()}/{obj.Name}{(obj.Namespace.Length > 0 ? " -n " + obj.Namespace : string.Empty)}"))
                : Results.Ok(new ObjectModel(Summary(stored), JsonDocument.Parse(stored.ObjectJson).RootElement.Clone()))));

        api.MapGet("/objects/{kind}/{name}/history", async (HistoryStore store, ControllerService controller, string kind, string name, string? @namespace, string? changer, string? excludeChanger, CancellationToken ct) =>
        {
            if (Find(store, kind, name, @namespace) is not { } found)
            {
                return WithObject(store, kind, name, @namespace, (_, _) => Results.Ok());
            }

            // Versions the store pruned (history.keepVersions) are read back from the Git mirror.
            var kept = store.History(found.Ref);
            var older = kept.Count > 0 && kept[0].Version > 1
                ? await GitOrch.History.Mirror.MirrorVersions.ReadAsync(controller.Mirror.Repository, found.Ref, kept[0].Version, ct)
                : [];
            return Results.Ok(older.Concat(kept)
                .Where(v => (changer is null || v.Changer == changer) && (excludeChanger is null || v.Changer != excludeChanger))
                .Select(v => ToModel(v, withObject: false)).ToList());
        });

        api.MapGet("/objects/{kind}/{name}/versions/{version:int}", (HistoryStore store, string kind, string name, int version, string? @namespace) =>
            WithObject(store, kind, name, @namespace, (obj, stored) =>
                store.Version(obj, version) is { } v
                    ? Results.Ok(ToModel(v, withObject: true))
                    : NoVersion(obj, version, stored.Version)));

        api.MapGet("/objects/{kind}/{name}/diff", (HistoryStore store, string kind, string name, string? @namespace, int from, int to) =>
            WithObject(store, kind, name, @namespace, (obj, stored) =>
            {
                var a = store.Version(obj, from);
                var b = store.Version(obj, to);
                if (a is null || b is null)
                {
                    return NoVersion(obj, a is null ? from : to, stored.Version);
                }

                var diff = UnifiedDiff.Create(Render(a), Render(b), $"{obj.Key}@{from}", $"{obj.Key}@{to}");
                return Results.Ok(new DiffModel(obj.Key, from, to, diff));
            }));

        api.MapGet("/objects/{kind}/{name}/blame", (HistoryStore store, string kind, string name, string? @namespace, string field) =>
            WithObject(store, kind, name, @namespace, (obj, stored) =>
            {
                var versions = store.History(obj);
                var setter = Blame.LastSetter(versions, field);
                if (!JsonPath.TryFind(GitOrch.Core.Manifests.ManifestJson.Parse(stored.ObjectJson), field, out var value))
                {
                    return Results.NotFound(new ErrorModel($"{obj.Display} has no field {field} in its current version {stored.Version}; check the path (for example spec.containers[0].image)"));
                }

                if (setter is null)
                {
                    return Results.NotFound(new ErrorModel($"{field} of {obj.Display} was set before version {versions.FirstOrDefault()?.Version}, the oldest the store keeps (history.keepVersions); the Git mirror has every version: git log refs/gitorch/history -- {GitOrch.History.Mirror.HistoryMirror.PathOf(obj)}"));
                }

                return Results.Ok(new BlameModel(obj.Key, field, setter.Version, setter.Changer, setter.Kind.ToText(), setter.SourceCommit, setter.CreatedAt,
                    JsonDocument.Parse(value.Write()).RootElement.Clone()));
            }));

        api.MapPost("/sync", async (ControllerService controller, CancellationToken ct) =>
        {
            controller.RecheckApprovals(); // A commit waiting for an approval is asked again now.
            var ok = await controller.SyncOnceAsync(ct);
            return ok ? Results.Ok(controller.Status) : Results.Json(new ErrorModel(controller.Status.LastError ?? "sync failed"), statusCode: 502);
        });

        api.MapPost("/objects/{kind}/{name}/retry", (ControllerService controller, HistoryStore store, string kind, string name, string? @namespace) =>
            WithObject(store, kind, name, @namespace, (obj, _) =>
            {
                if (controller.Retry(obj) is { } retried)
                {
                    return Results.Ok(new RetryModel(obj.Key, retried));
                }

                var head = controller.Status.Head is { } sha ? store.FindCommit(sha) : null;
                if (head is not null && Reconcile.Reconciler.WaitsForApproval(head))
                {
                    var why = head.Diagnostics.First(d => d.IsError);
                    return Results.Conflict(new ErrorModel($"commit {head.Sha[..12]} still waits for an approval, re-checked just now: {why.Message}"));
                }

                var transaction = controller.Workflows.Engine.Current(obj);
                return Results.Conflict(new ErrorModel(transaction is null
                    ? $"{obj.Display} has no workflow to retry"
                    : $"{obj.Display} has nothing to retry: no unit of its transaction {transaction.Id} ({transaction.State}) failed"));
            }));

        api.MapPost("/webhooks/git", async (Sync.SyncLoop sync, HttpRequest request, CancellationToken ct) =>
        {
            if (webhookSecret is null)
            {
                return Results.NotFound(new ErrorModel("the push webhook is off; start the controller with --webhook-secret-file FILE or GITORCH_WEBHOOK_SECRET"));
            }

            using var body = new MemoryStream();
            await request.Body.CopyToAsync(body, ct);
            if (!WebhookSignature.Verify(webhookSecret, body.ToArray(), request.Headers[WebhookSignature.Header]))
            {
                return Results.Json(new ErrorModel($"invalid or missing {WebhookSignature.Header}: sign the body with HMAC-SHA256 and the shared secret"), statusCode: 401);
            }

            if (request.Headers["X-GitHub-Event"] == "pull_request_review")
            {
                sync.RecheckApprovals(); // An approval may have arrived for a commit that waits for one.
            }
            else
            {
                sync.Trigger();
            }

            return Results.Accepted(value: new { accepted = true });
        }).AllowAnonymous(); // Its credential is the HMAC signature.
    }

    private static StoredObject? Find(HistoryStore store, string kind, string name, string? ns) =>
        Kinds.Resolve(kind) is { } resolved
            ? store.Get(new ObjectRef(resolved, Kinds.IsNamespaced(resolved) ? ns ?? ManifestObject.DefaultNamespace : string.Empty, name))
            : null;

    private static IResult WithObject(HistoryStore store, string kind, string name, string? ns, Func<ObjectRef, StoredObject, IResult> then)
    {
        if (Kinds.Resolve(kind) is not { } resolved)
        {
            return UnknownKind(kind);
        }

        var obj = new ObjectRef(resolved, Kinds.IsNamespaced(resolved) ? ns ?? ManifestObject.DefaultNamespace : string.Empty, name);
        return store.Get(obj) is { } stored
            ? then(obj, stored)
            : Results.NotFound(new ErrorModel($"{obj.Display} not found; list objects with `gitorch get {resolved.ToLowerInvariant()}{(Kinds.IsNamespaced(resolved) ? " -A" : string.Empty)}`"));
    }

    private static IResult UnknownKind(string kind) =>
        Results.BadRequest(new ErrorModel($"unknown kind \"{kind}\"; use one of: {string.Join(", ", Kinds.All)}"));

    private static IResult NoVersion(ObjectRef obj, int version, int latest) =>
        Results.NotFound(new ErrorModel($"{obj.Display} has no version {version} (versions run to {latest}; older ones may have been pruned by history.keepVersions); see `gitorch history {obj.Kind.ToLowerInvariant()}/{obj.Name}{(obj.Namespace.Length > 0 ? " -n " + obj.Namespace : string.Empty)}`"));

    private static string Render(VersionRecord v) => v.ObjectJson is null ? string.Empty : YamlRenderer.Render(GitOrch.Core.Manifests.ManifestJson.ParseToken(v.ObjectJson));

    private static ReplicationModel ToModel(Replication.ReplicaView view) =>
        new(view.Self.Name, RoleText(view.Role), view.Leader?.Name, view.Why,
            view.Replicas.Select(r => new ReplicaModel(r.Name, RoleText(view.RoleOf(r)), r.ApiUrl, r.AgentUrl, r.Since)).ToList());

    private static string RoleText(Replication.ReplicaRole role) => role.ToString().ToLowerInvariant();

    private static CommitModel ToModel(CommitRecord c) =>
        new(c.Sha, c.State, c.AuthorName, c.AuthorEmail, c.Subject, c.CommittedAt, c.ProcessedAt, c.ObjectsChanged,
            c.Diagnostics.Select(DiagnosticModel.From).ToList(), c.Note);

    private static VersionModel ToModel(VersionRecord v, bool withObject) =>
        new(v.Version, v.Changer, v.Kind.ToText(), v.SourceCommit, v.CreatedAt, v.Fields, v.Deleted,
            withObject && v.ObjectJson is not null ? JsonDocument.Parse(v.ObjectJson).RootElement.Clone() : null, v.MirrorCommit);

    internal static ObjectSummaryModel Summary(StoredObject o)
    {
        var json = GitOrch.Core.Manifests.ManifestJson.Parse(o.ObjectJson);
        return new ObjectSummaryModel(o.Ref.Kind, o.Ref.Namespace, o.Ref.Name, o.Version, o.LastChanger, o.UpdatedAt,
            json["status"]?["phase"]?.ToString(), json["status"]?["nodeName"]?.ToString(), o.File,
            (int)(json["status"]?["restarts"].AsInteger() ?? 0),
            InitStep(json));
    }

    /// <summary>The init container a pod that is not running waits on (running, waiting or in its backoff), as its workflow step's name.</summary>
    private static string? InitStep(JsonObject pod) =>
        pod["status"]?["phase"]?.ToString() is "Pending" or "CrashLoop" or "Failed" or null
        && (pod["status"]?["initContainers"] as JsonArray)?.FirstOrDefault(i => i?["state"]?.ToString() != "done")?["name"]?.ToString() is { } name
            ? Workflow.Planning.TransactionPlanner.InitStepName(name)
            : null;
}
