using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using System.Text.Json.Nodes;
using GitOrch.Core.Diagnostics;
using GitOrch.Core.Loading;
using GitOrch.Core.Manifests;
using GitOrch.Core.Rendering;
using k8s;
using k8s.Models;

namespace GitOrch.Import;

/// <summary>
/// Kubernetes manifests → GitOrch manifests. Each YAML document is read with positions (GitOrch's
/// own reader, with its limits), then as a Kubernetes object by KubernetesClient's models and
/// <see cref="KubernetesYaml"/> loader (strict: a field the models do not know is an error, never
/// dropped). Pods become Pods; Deployments, ReplicaSets, StatefulSets and DaemonSets become
/// PinnedDeployments (previous = next = the pod template, percentNext 0); Jobs become Pods. Other
/// kinds are skipped with the reason.
/// </summary>
public static partial class KubernetesImporter
{
    private static readonly Dictionary<string, string> SkippedKinds = new(StringComparer.Ordinal)
    {
        ["Service"] = "GitOrch has no Services: pods have routable IPv6 addresses (oci) or allocated host ports (process)",
        ["Ingress"] = "GitOrch has no ingress; run a proxy pod",
        ["ConfigMap"] = "GitOrch has no ConfigMaps: put configuration in the image, env, or a hostPath",
        ["Secret"] = "GitOrch has no Secrets: put them in the image or a hostPath the policy permits",
        ["Namespace"] = "GitOrch namespaces exist by being used (metadata.namespace)",
        ["ServiceAccount"] = "GitOrch pods get no API credentials",
        ["Role"] = "GitOrch's API roles are admin and viewer (gitorch token create)",
        ["ClusterRole"] = "GitOrch's API roles are admin and viewer (gitorch token create)",
        ["RoleBinding"] = "GitOrch's API roles are admin and viewer (gitorch token create)",
        ["ClusterRoleBinding"] = "GitOrch's API roles are admin and viewer (gitorch token create)",
        ["PersistentVolumeClaim"] = "GitOrch has no persistent volumes: use a hostPath the policy permits",
        ["PersistentVolume"] = "GitOrch has no persistent volumes: use a hostPath the policy permits",
        ["CronJob"] = "GitOrch has no schedules: a pod that runs once is a Pod with restartPolicy Never",
        ["HorizontalPodAutoscaler"] = "GitOrch scales by reviewed commits (PinnedDeployment replicas)",
        ["PodDisruptionBudget"] = "GitOrch rollouts move maxUnavailable pods at a time",
        ["NetworkPolicy"] = "GitOrch has no network policies",
        ["LimitRange"] = "GitOrch has no per-namespace limits",
        ["ResourceQuota"] = "GitOrch has no per-namespace quotas",
        ["PodSecurityPolicy"] = "GitOrch's ClusterPolicy security exceptions take its place",
        ["List"] = "lists are not expanded: write their items as separate documents",
    };

    /// <summary>Imports every file; <paramref name="files"/> pairs a path to show with its text.</summary>
    public static ImportResult Import(IEnumerable<(string File, string Text)> files, string? namespaceOverride)
    {
        var objects = new List<ImportedObject>();
        var notes = new List<ImportNote>();
        foreach (var (file, text) in files)
        {
            var diagnostics = new List<Diagnostic>();
            var documents = YamlReader.Read(file, text, diagnostics);
            foreach (var d in diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error))
            {
                notes.Add(new ImportNote(NoteKind.Refused, file, d.Line, d.Column, "(file)", null, d.Message));
            }

            foreach (var document in documents)
            {
                if (document.Root is not MappingNode root)
                {
                    continue; // An empty document.
                }

                if (ImportDocument(file, document, root, namespaceOverride, notes) is { } imported)
                {
                    if (objects.FirstOrDefault(o => o.RelativePath == imported.RelativePath) is { } earlier)
                    {
                        // Two sources for one GitOrch object (after -n, or names made DNS labels): one would overwrite the other.
                        notes.Add(new ImportNote(NoteKind.Refused, file, root.Line, root.Column, imported.SourceObject, "metadata.name",
                            $"becomes {imported.Kind} {imported.Namespace}/{imported.Name}, as {earlier.SourceObject} in {earlier.SourceFile} does; rename one"));
                        continue;
                    }

                    objects.Add(imported);
                }
            }
        }

        return new ImportResult(objects, notes);
    }

    private static ImportedObject? ImportDocument(string file, SourceDocument document, MappingNode root, string? namespaceOverride, List<ImportNote> notes)
    {
        var kind = (root["kind"] as ScalarNode)?.Value ?? "(no kind)";
        var apiVersion = (root["apiVersion"] as ScalarNode)?.Value ?? string.Empty;
        var metadata = root["metadata"] as MappingNode;
        var sourceName = (metadata?["name"] as ScalarNode)?.Value ?? (metadata?["generateName"] as ScalarNode)?.Value ?? "(no name)";
        var sourceNamespace = (metadata?["namespace"] as ScalarNode)?.Value;
        var display = $"{kind} {(sourceNamespace is null ? string.Empty : sourceNamespace + "/")}{sourceName}";
        var context = new ImportContext(file, root, display, notes);
        if (!IsConverted(kind, apiVersion))
        {
            context.Note(NoteKind.Skipped, null, SkippedKinds.TryGetValue(kind, out var why)
                ? $"skipped: {why}"
                : $"skipped: {apiVersion} {kind} is not a kind GitOrch converts (Pods, Deployments, ReplicaSets, StatefulSets, DaemonSets and Jobs are)");
            return null;
        }

        // JSON is YAML: the KubernetesClient loader reads the document as our reader parsed it (limits applied once).
        var json = SourceJson.ToJson(root).Write();
        try
        {
            var ns = Name(namespaceOverride ?? sourceNamespace ?? ManifestObject.DefaultNamespace, "metadata.namespace", context);
            var name = Name(sourceName, "metadata.name", context);
            JsonObject manifest = kind switch
            {
                "Pod" => PodFrom(KubernetesYaml.Deserialize<V1Pod>(json, strict: true), ns, name, context),
                "Job" => JobFrom(KubernetesYaml.Deserialize<V1Job>(json, strict: true), ns, name, context),
                "Deployment" => Pinned(KubernetesYaml.Deserialize<V1Deployment>(json, strict: true) is var d ? (d.Metadata, d.Spec.Replicas, d.Spec.Template) : default, ns, name, context),
                "ReplicaSet" => Pinned(KubernetesYaml.Deserialize<V1ReplicaSet>(json, strict: true) is var r ? (r.Metadata, r.Spec.Replicas, r.Spec.Template) : default, ns, name, context),
                "StatefulSet" => StatefulSetFrom(KubernetesYaml.Deserialize<V1StatefulSet>(json, strict: true), ns, name, context),
                _ => DaemonSetFrom(KubernetesYaml.Deserialize<V1DaemonSet>(json, strict: true), ns, name, context),
            };
            var header = new StringBuilder()
                .Append(CultureInfo.InvariantCulture, $"# Imported by `gitorch import k8s` from {file} ({display}, document {document.Index + 1}).\n")
                .Append("# Settings GitOrch cannot carry are listed in the import's summary; weakenings below need ClusterPolicy exceptions.\n");
            var gitorchKind = manifest["kind"]!.ToString();
            return new ImportedObject(file, display, gitorchKind, ns, name, header + YamlRenderer.Render(manifest));
        }
        catch (YamlDotNet.Core.YamlException ex)
        {
            context.Refused(null, $"Kubernetes cannot read this {kind}: {ex.Message}{(ex.InnerException is { } inner ? " (" + inner.Message + ")" : string.Empty)}; fix the manifest");
            return null;
        }
    }

    private static bool IsConverted(string kind, string apiVersion) => (kind, apiVersion) switch
    {
        ("Pod", "v1") => true,
        ("Job", "batch/v1") => true,
        ("Deployment" or "ReplicaSet" or "StatefulSet" or "DaemonSet", "apps/v1") => true,
        _ => false,
    };

    private static JsonObject PodFrom(V1Pod pod, string ns, string name, ImportContext context) =>
        Manifest("Pod", ns, name, pod.Metadata?.Labels, Spec(pod.Spec, "spec", pod.Metadata?.Annotations, "metadata.annotations", context));

    private static JsonObject JobFrom(V1Job job, string ns, string name, ImportContext context)
    {
        if (job.Spec.Completions is > 1 || job.Spec.Parallelism is > 1)
        {
            context.Adjusted("spec", "a Job that runs several pods becomes one Pod; write more Pods (or a PinnedDeployment) for more");
        }

        foreach (var field in new[] { "backoffLimit", "activeDeadlineSeconds", "ttlSecondsAfterFinished", "completionMode", "suspend", "podFailurePolicy", "backoffLimitPerIndex", "maxFailedIndexes", "successPolicy", "podReplacementPolicy", "manualSelector", "selector" })
        {
            if (ManifestJson.Parse(KubernetesJson.Serialize(job.Spec))[field] is not null)
            {
                context.Ignored($"spec.{field}", "left out: a GitOrch pod restarts by its restartPolicy (with backoff), and its phase says when it succeeded or failed");
            }
        }

        var labels = Merge(job.Metadata?.Labels, job.Spec.Template.Metadata?.Labels);
        return Manifest("Pod", ns, name, labels, Spec(job.Spec.Template.Spec, "spec.template.spec", job.Spec.Template.Metadata?.Annotations, "spec.template.metadata.annotations", context));
    }

    private static JsonObject StatefulSetFrom(V1StatefulSet set, string ns, string name, ImportContext context)
    {
        if (set.Spec.VolumeClaimTemplates is { Count: > 0 })
        {
            context.Refused("spec.volumeClaimTemplates", "GitOrch has no persistent volume claims; give each pod a hostPath the policy permits, or convert it by hand");
        }

        context.Adjusted("spec", "a StatefulSet becomes a PinnedDeployment: its pods keep the names <name>-<ordinal> and stay on their node across in-place changes");
        return Pinned((set.Metadata, set.Spec.Replicas, set.Spec.Template), ns, name, context);
    }

    private static JsonObject DaemonSetFrom(V1DaemonSet set, string ns, string name, ImportContext context)
    {
        context.Adjusted("spec", "a DaemonSet becomes a PinnedDeployment of one pod: GitOrch does not start a pod per node; raise replicas (and use nodeSelector) to run more");
        return Pinned((set.Metadata, 1, set.Spec.Template), ns, name, context);
    }

    /// <summary>A PinnedDeployment whose previous and next are the same template, at percentNext 0: what runs now, ready for a reviewed rollout.</summary>
    private static JsonObject Pinned((V1ObjectMeta Metadata, int? Replicas, V1PodTemplateSpec Template) source, string ns, string name, ImportContext context)
    {
        var spec = Spec(source.Template.Spec, "spec.template.spec", source.Template.Metadata?.Annotations, "spec.template.metadata.annotations", context);
        var template = new JsonObject();
        if (source.Template.Metadata?.Labels is { Count: > 0 } labels)
        {
            template["labels"] = ManifestJson.ObjectOf(labels);
        }

        template["spec"] = spec;
        return Manifest("PinnedDeployment", ns, name, source.Metadata?.Labels, new JsonObject
        {
            ["replicas"] = source.Replicas ?? 1,
            ["percentNext"] = 0,
            ["previous"] = template,
            ["next"] = template.DeepClone(),
        });
    }

    private static JsonObject Spec(V1PodSpec spec, string at, IDictionary<string, string>? annotations, string annotationsAt, ImportContext context) =>
        new PodSpecConverter(context, at, annotations is null ? null : new Dictionary<string, string>(annotations), annotationsAt).Convert(spec);

    private static JsonObject Manifest(string kind, string ns, string name, IDictionary<string, string>? labels, JsonObject spec)
    {
        var metadata = new JsonObject { ["name"] = name, ["namespace"] = ns };
        if (labels is { Count: > 0 })
        {
            metadata["labels"] = ManifestJson.ObjectOf(labels);
        }

        return new JsonObject { ["apiVersion"] = ManifestObject.ApiVersionV1, ["kind"] = kind, ["metadata"] = metadata, ["spec"] = spec };
    }

    private static Dictionary<string, string>? Merge(IDictionary<string, string>? a, IDictionary<string, string>? b)
    {
        if (a is null && b is null)
        {
            return null;
        }

        var merged = new Dictionary<string, string>(a ?? new Dictionary<string, string>(), StringComparer.Ordinal);
        foreach (var (key, value) in b ?? new Dictionary<string, string>())
        {
            merged[key] = value;
        }

        return merged;
    }

    /// <summary>A GitOrch name (DNS-1123 label): Kubernetes allows more (dots, and in test data underscores).</summary>
    private static string Name(string name, string field, ImportContext context)
    {
        if (name.Length <= 63 && Dns1123().IsMatch(name))
        {
            return name;
        }

        var made = Invalid().Replace(name.ToLowerInvariant(), "-").Trim('-');
        made = made.Length > 63 ? made[..63].TrimEnd('-') : made;
        made = made.Length == 0 ? "imported" : made;
        context.Adjusted(field, $"\"{name}\" is not a GitOrch name (a DNS-1123 label): written as \"{made}\"");
        return made;
    }

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")]
    private static partial Regex Dns1123();

    [GeneratedRegex("[^a-z0-9-]+")]
    private static partial Regex Invalid();
}
