using System.Text.Json.Nodes;
using GitOrch.Core.Diagnostics;
using GitOrch.Core.Manifests;

namespace GitOrch.Core.Rollouts;

/// <summary>
/// What a PinnedDeployment means: pods <c>&lt;name&gt;-0..replicas-1</c>; the first
/// <c>nextCount = round(replicas × percentNext / 100)</c> run <c>next</c>, the rest <c>previous</c>.
/// Shared by the controller (which makes it so) and <c>gitorch plan</c> (which says what will change).
/// </summary>
public static class PinnedPods
{
    public const string DeploymentLabel = "gitorch.dev/pinned-deployment";
    public const string TrackLabel = "gitorch.dev/track";
    public const string Previous = "previous";
    public const string Next = "next";

    /// <summary>replicas × percent / 100, rounded as asked (Nearest: half rounds up), in integers.</summary>
    public static int NextCount(int replicas, int percentNext, Rounding rounding)
    {
        var scaled = (long)replicas * percentNext;
        var count = rounding switch
        {
            Rounding.Down => scaled / 100,
            Rounding.Up => (scaled + 99) / 100,
            _ => (scaled + 50) / 100,
        };
        return (int)Math.Clamp(count, 0, replicas);
    }

    public static string PodName(string deployment, int ordinal) => $"{deployment}-{ordinal}";

    public static string TrackOf(PinnedDeploymentSpec spec, int ordinal) =>
        ordinal < NextCount(spec.Replicas, spec.PercentNext, spec.Rounding) ? Next : Previous;

    /// <summary>The pods a PinnedDeployment wants, in ordinal order, as full pod objects (no status).</summary>
    public static IReadOnlyList<(ObjectRef Ref, string Track, JsonObject Pod)> Desired(PinnedDeployment pd, JsonObject pdJson)
    {
        var pods = new List<(ObjectRef, string, JsonObject)>();
        for (var i = 0; i < pd.Spec.Replicas; i++)
        {
            var track = TrackOf(pd.Spec, i);
            var template = (JsonObject)pdJson["spec"]![track]!;
            var labels = new JsonObject();
            foreach (var (key, value) in pd.Metadata.Labels ?? new Dictionary<string, string>())
            {
                labels[key] = value;
            }

            foreach (var property in template["labels"] as JsonObject ?? [])
            {
                labels[property.Key] = property.Value?.DeepClone();
            }

            labels[DeploymentLabel] = pd.Metadata.Name;
            labels[TrackLabel] = track;
            var name = PodName(pd.Metadata.Name, i);
            var pod = new JsonObject
            {
                ["apiVersion"] = ManifestObject.ApiVersionV1,
                ["kind"] = Kinds.Pod,
                ["metadata"] = new JsonObject { ["name"] = name, ["namespace"] = pd.Namespace, ["labels"] = labels },
                ["spec"] = template["spec"]!.DeepClone(),
            };
            pods.Add((new ObjectRef(Kinds.Pod, pd.Namespace, name), track, pod));
        }

        return pods;
    }

    /// <summary>How a track is named for people: its <c>version</c> label when it has one ("previous (1.16)").</summary>
    public static string Describe(JsonObject pdJson, string track) =>
        pdJson["spec"]?[track]?["labels"]?["version"].Text() is { } version ? $"{track} ({version})" : track;
}
