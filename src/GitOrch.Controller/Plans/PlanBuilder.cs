using System.Text.Json.Nodes;
using GitOrch.Core.Diagnostics;
using GitOrch.Core.Loading;
using GitOrch.Core.Manifests;
using GitOrch.Core.Objects;
using GitOrch.Core.Rollouts;
using GitOrch.Core.Schema;
using GitOrch.Core.Security;
using GitOrch.Core.Validation;
using GitOrch.Git;

namespace GitOrch.Controller.Plans;

/// <summary>
/// Builds a plan from two commits of a repository, with no controller: both trees are read from
/// Git (in-process, libgit2), validated (files on every core but one), and compared object by object.
/// </summary>
public static class PlanBuilder
{
    public static async Task<Plan> BuildAsync(string repoPath, string baseRev, string headRev, string? path, CancellationToken ct)
    {
        if (!Directory.Exists(repoPath))
        {
            throw new PlanException($"--repo {repoPath}: no such folder; give the path of your clone of the config repo");
        }

        var top = await GitRepository.FindTopLevelAsync(repoPath, ct)
            ?? throw new PlanException($"{repoPath} is not in a git repository; give --repo the config repo's clone");
        var prefix = Folder(Path.GetRelativePath(top, Path.GetFullPath(repoPath)).Replace('\\', '/')) + Folder(path);
        await using var repo = new GitRepository(top);
        var baseSha = await repo.ResolveAsync(baseRev, ct) ?? throw new PlanException($"--base {baseRev} names no commit in {top}; fetch it, or check the name");
        var headSha = await repo.ResolveAsync(headRev, ct) ?? throw new PlanException($"--head {headRev} names no commit in {top}; fetch it, or check the name");
        if (prefix.Length > 0
            && (await repo.ListTreeAsync(baseSha, prefix.TrimEnd('/'), ct)).Count == 0
            && (await repo.ListTreeAsync(headSha, prefix.TrimEnd('/'), ct)).Count == 0)
        {
            throw new PlanException($"the folder {prefix.TrimEnd('/')} holds nothing at base or head; check --path (or --repo)");
        }

        var profile = StageTimer.Start("plan");
        var schemas = Task.Run(SchemaRegistry.CompileAll, ct);
        var loadBase = Task.Run(() => LoadAsync(repo, baseSha, prefix, ct), ct);
        var after = await LoadAsync(repo, headSha, prefix, ct);
        var before = await loadBase;
        await schemas;
        profile?.Stage("load base and head");
        if (!after.IsValid)
        {
            return new Plan(baseSha, headSha, false, after.Diagnostics, [], [], []);
        }

        var objects = Objects(before, after);
        profile?.Stage("object diff");
        var security = Security(before, after);
        profile?.Stage("security verdict");
        return new Plan(baseSha, headSha, true, after.Diagnostics, objects, security,
            RolloutApprovals.Needed(before.Objects, after.Objects).Select(n => new ApprovalNote(n.Object.Ref.Display, n.From, n.To, n.Step, n.Limit, n.Approvers, n.Describe())).ToList());
    }

    /// <summary>Reads and validates the manifests of one commit.</summary>
    public static async Task<ValidationResult> LoadAsync(GitRepository repo, string sha, string prefix, CancellationToken ct)
    {
        var entries = await repo.ListTreeSizedAsync(sha, prefix.Length == 0 ? null : prefix.TrimEnd('/'), null, ct);
        var ignoreEntry = entries.FirstOrDefault(e => e.Path == prefix + IgnoreRules.FileName);
        var ignore = ignoreEntry is null || ignoreEntry.IsSymlink || !BoundedFiles.WithinDefault(ignoreEntry.Size)
            ? IgnoreRules.Empty
            : new IgnoreRules(await repo.Objects.ReadTextAsync(ignoreEntry.Blob, ct) ?? string.Empty);
        var files = new Dictionary<string, Reconcile.CachedFile>(StringComparer.Ordinal);
        var toParse = new List<(string Blob, ManifestFile File)>();
        foreach (var entry in entries.Where(e => e.Type == "blob" && e.Path.StartsWith(prefix, StringComparison.Ordinal)))
        {
            var relative = entry.Path[prefix.Length..];
            if (!IgnoreRules.IsManifestPath(relative) || ignore.IsFileIgnored(relative))
            {
                continue;
            }

            if (Reconcile.ManifestBlobs.Refuse(entry, relative) is { } refused)
            {
                files[relative] = new Reconcile.CachedFile(entry.Blob, refused);
            }
            else
            {
                toParse.Add((entry.Blob, new ManifestFile(relative, await repo.Objects.ReadTextAsync(entry.Blob, ct) ?? string.Empty)));
            }
        }

        var parsed = ManifestValidator.LoadAll([.. toParse.Select(p => p.File)]);
        for (var i = 0; i < toParse.Count; i++)
        {
            files[toParse[i].File.Path] = new Reconcile.CachedFile(toParse[i].Blob, parsed[i]);
        }

        files = await Reconcile.ManifestBlobs.ResolveAsync(files, repo.Objects, ct);
        return ManifestValidator.Validate([.. files.OrderBy(f => f.Key, StringComparer.Ordinal).Select(f => f.Value.Result)]);
    }

    private static List<ObjectPlan> Objects(ValidationResult before, ValidationResult after)
    {
        var old = before.Objects.GroupBy(o => o.Ref).ToDictionary(g => g.Key, g => g.First());
        var now = after.Objects.GroupBy(o => o.Ref).ToDictionary(g => g.Key, g => g.First());
        var plans = new List<ObjectPlan>();
        foreach (var obj in now.Keys.Union(old.Keys).OrderBy(r => r.Kind, StringComparer.Ordinal).ThenBy(r => r.Namespace, StringComparer.Ordinal).ThenBy(r => r.Name, StringComparer.Ordinal))
        {
            old.TryGetValue(obj, out var a);
            now.TryGetValue(obj, out var b);
            // The same bytes are the same object; other bytes may still say the same (keys in another order).
            if (a is not null && b is not null && a.Utf8Json.Span.SequenceEqual(b.Utf8Json.Span))
            {
                continue;
            }

            var (aJson, bJson) = (a?.Json, b?.Json); // Each parsed once for everything below.
            if (aJson is not null && bJson is not null && JsonNode.DeepEquals(aJson, bJson))
            {
                continue;
            }

            var action = a is null ? "+" : b is null ? "-" : "~";
            List<FieldChange> fields = aJson is null || bJson is null
                ? []
                : [.. FieldDiff.Changed(aJson, bJson).Select(f => new FieldChange(f, Show(aJson, f), Show(bJson, f)))];

            var pods = Pods(a?.Object, aJson, b?.Object, bJson);
            if (obj.Kind == Kinds.Pod && fields.Any(f => MayMove(f.Path)))
            {
                pods = [new PodChange(obj.Name, "~", $"{obj.Name}: resources or nodeSelector change: restarted in place, or moved if its node no longer fits")];
            }

            plans.Add(new ObjectPlan(action, obj.Kind, obj.Namespace, obj.Name, fields, pods));
        }

        return plans;
    }

    /// <summary>The generated pods that change when a PinnedDeployment changes.</summary>
    private static List<PodChange> Pods(ManifestObject? beforeObject, JsonObject? before, ManifestObject? afterObject, JsonObject? after)
    {
        if (beforeObject is not PinnedDeployment && afterObject is not PinnedDeployment)
        {
            return [];
        }

        var old = beforeObject is PinnedDeployment pa ? PinnedPods.Desired(pa, before!).ToDictionary(p => p.Ref.Name) : [];
        var now = afterObject is PinnedDeployment pb ? PinnedPods.Desired(pb, after!).ToDictionary(p => p.Ref.Name) : [];
        var changes = new List<PodChange>();
        foreach (var name in now.Keys.Union(old.Keys).OrderBy(Ordinal))
        {
            if (!old.TryGetValue(name, out var o))
            {
                changes.Add(new PodChange(name, "+", $"{name}: {PinnedPods.Describe(after!, now[name].Track)}, created"));
            }
            else if (!now.TryGetValue(name, out var n))
            {
                changes.Add(new PodChange(name, "-", $"{name}: {PinnedPods.Describe(before!, o.Track)}, removed"));
            }
            else if (o.Track != n.Track)
            {
                changes.Add(new PodChange(name, "~", $"{name}: {PinnedPods.Describe(before!, o.Track)} → {PinnedPods.Describe(after!, n.Track)}, in place"));
            }
            else if (!JsonNode.DeepEquals(o.Pod, n.Pod))
            {
                var changed = FieldDiff.Changed(o.Pod, n.Pod);
                var what = changed.Select(f => $"{f} {Show(o.Pod, f) ?? "(none)"} → {Show(n.Pod, f) ?? "(none)"}");
                var how = changed.Any(MayMove) ? "in place, or moved if its node no longer fits" : "in place";
                changes.Add(new PodChange(name, "~", $"{name}: {PinnedPods.Describe(after!, n.Track)} template changed ({string.Join(", ", what)}), {how}"));
            }
        }

        return changes;
    }

    /// <summary>Only resources and nodeSelector changes may move a pod to another node.</summary>
    private static bool MayMove(string path) => path.Contains(".resources", StringComparison.Ordinal) || path.StartsWith("spec.nodeSelector", StringComparison.Ordinal);

    private static int Ordinal(string pod) => int.TryParse(pod[(pod.LastIndexOf('-') + 1)..], out var n) ? n : int.MaxValue;

    /// <summary>Weakenings present at head that were not at base, each with its exception.</summary>
    private static List<SecurityNote> Security(ValidationResult before, ValidationResult after)
    {
        static IEnumerable<(string Object, string Field, string Exception, string What)> Of(ValidationResult r) =>
            r.Objects.SelectMany(o => Specs(o).SelectMany(s => Weakenings.Of(s.Spec).Select(w =>
                (o.Ref.Display, s.Prefix + "." + string.Join('.', w.Field.Select(f => f is int i ? $"[{i}]" : f.ToString())).Replace(".[", "[", StringComparison.Ordinal), w.Exception, w.What))));
        var old = Of(before).Select(x => (x.Object, x.Exception)).ToHashSet();
        return Of(after).Where(x => !old.Contains((x.Object, x.Exception))).Select(x => new SecurityNote(x.Object, x.Field, x.Exception, x.What)).ToList();
    }

    private static IEnumerable<(PodSpec Spec, string Prefix)> Specs(LoadedObject obj) => obj.Object switch
    {
        Pod pod => [(pod.Spec, "spec")],
        PinnedDeployment pd => [(pd.Spec.Previous.Spec, "spec.previous.spec"), (pd.Spec.Next.Spec, "spec.next.spec")],
        _ => [],
    };

    private static string? Show(JsonNode? root, string path) => JsonPath.TryFind(root, path, out var token)
        ? token.ScalarKind() == JsonScalar.String ? token!.GetValue<string>() : token.Write()
        : null;

    private static string Folder(string? folder) =>
        string.IsNullOrEmpty(folder) || folder == "." ? string.Empty : folder.Trim('/') + "/";
}

/// <summary>A plan cannot be made (unknown revision, no repository); the message says what to do.</summary>
public sealed class PlanException(string message) : Exception(message);
