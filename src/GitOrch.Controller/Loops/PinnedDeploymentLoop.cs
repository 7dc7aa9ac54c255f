using System.Text.Json.Nodes;
using GitOrch.Controller.Nodes;
using GitOrch.Core.Diagnostics;
using GitOrch.Core.Manifests;
using GitOrch.Core.Objects;
using GitOrch.Core.Ownership;
using GitOrch.Core.Rollouts;
using GitOrch.History;
using GitOrch.History.Store;
using GitOrch.Workflow.Loops;

namespace GitOrch.Controller.Loops;

/// <summary>
/// The built-in <c>pinned-deployment</c> loop. It makes the pods of a PinnedDeployment match it:
/// creates missing ordinals, removes ordinals beyond <c>replicas</c>, and moves the pods that must
/// change (a percentage step, a template change) in place, <c>maxUnavailable</c> at a time, waiting
/// for each to run before the next. Every change is a new version of the same pod by
/// <c>control-loop/pinned-deployment</c>. It writes the PinnedDeployment's <c>status</c>.
/// </summary>
public sealed class PinnedDeploymentLoop(HistoryStore store, PodIndex pods, IObjectWriter writer, Action<IReadOnlyList<ObjectRef>, string?> podsChanged) : IBuiltInLoop
{
    /// <summary>
    /// How long the loop waits for its pods before it looks again by itself. A committed write to
    /// one of its pods (the runtime reporting a phase, a pod placed or deleted) wakes it at once (the
    /// workflow service wires <see cref="PodIndex.DeploymentPodsChanged"/> to the engine), so the
    /// delay only bounds how long a change nobody announced goes unseen: 200 deployments whose pods
    /// wait for a node would otherwise read and compare all their pods every second, for nothing.
    /// </summary>
    public static readonly TimeSpan WaitForPods = TimeSpan.FromSeconds(30);

    public string Name => BuiltInLoops.PinnedDeployment;

    public ValueTask<LoopAnswer> RunAsync(BuiltInStep step, CancellationToken ct)
    {
        var json = (JsonObject)step.Object.DeepClone();
        json.Remove("status");
        var pd = json.Bind<PinnedDeployment>()!;
        var desired = PinnedPods.Desired(pd, json);
        var commit = step.Invocation.Transaction.Commit;
        var changed = new List<ObjectRef>();
        var notes = new List<string>();

        // Scale down: ordinals at or above replicas go (the highest ordinals).
        // Its own pods only: generated (no file in Git) and labelled with its name.
        // The index names the labelled pods (its own, not every pod of the namespace); the store says which have no file.
        var named = pods.PodsOf(pd.Namespace, pd.Metadata.Name);
        var rows = store.GetMany(named);
        var existing = named
            .Select(r => rows.GetValueOrDefault(r))
            .Where(p => p is { Deleted: false, File: null })
            .ToDictionary(p => p!.Ref, p => Read(p!));

        // Pods this loop moved and whose new definition the runtime has not yet reported running:
        // their status still speaks of the old definition, so they count as unavailable.
        var moving = (step.Object["status"]?["moving"] as JsonObject)?
            .Where(p => existing.TryGetValue(new ObjectRef(Kinds.Pod, pd.Namespace, p.Key), out var s) && !RunsVersion(s, (int)p.Value!))
            .ToDictionary(p => p.Key, p => (int)p.Value!) ?? [];
        foreach (var extra in existing.Keys.Where(r => !desired.Any(d => d.Ref == r)))
        {
            Admitted(writer.Write(Batch($"remove {extra.Display} (scaled to {pd.Spec.Replicas})", commit, new ObjectChange(extra, null, ["*"], null))));
            changed.Add(extra);
            notes.Add($"removed {extra.Name}");
        }

        // Create missing ordinals at once; they are not "unavailable" replacements of running pods.
        foreach (var (podRef, track, pod) in desired.Where(d => !existing.ContainsKey(d.Ref)))
        {
            Admitted(writer.Write(Batch($"create {podRef.Display} on {PinnedPods.Describe(json, track)}", commit,
                new ObjectChange(podRef, pod.Write(), ["metadata", "spec"], null))));
            changed.Add(podRef);
            notes.Add($"created {podRef.Name}");
        }

        // Move the pods that must change, in ordinal order, at most maxUnavailable not running at a time.
        var unavailable = desired.Count(d => existing.TryGetValue(d.Ref, out var s) && s.Matches(d.Pod) && (s.Phase != "Running" || moving.ContainsKey(d.Ref.Name)));
        var waiting = new List<string>();
        foreach (var (podRef, track, pod) in desired.Where(d => existing.ContainsKey(d.Ref)))
        {
            var stored = existing[podRef];
            if (stored.Matches(pod))
            {
                if (stored.Phase != "Running" || moving.ContainsKey(podRef.Name))
                {
                    waiting.Add(podRef.Name);
                }

                continue;
            }

            if (unavailable >= Math.Max(1, pd.Spec.MaxUnavailable))
            {
                waiting.Add(podRef.Name + " (queued)");
                continue;
            }

            var from = (string?)stored.Definition["metadata"]?["labels"]?[PinnedPods.TrackLabel] ?? "?";
            var what = from == track
                ? $"update {podRef.Display}: {PinnedPods.Describe(json, track)} template changed, in place"
                : $"move {podRef.Display}: {PinnedPods.Describe(json, from)} → {PinnedPods.Describe(json, track)}, in place";
            var batch = Admitted(writer.Update(podRef, Name, commit, $"{Name}: {what}", current =>
            {
                var hasStatus = current.TryGetPropertyValue("status", out var status);
                current.Remove("status");
                var fields = FieldDiff.Changed(current, pod);
                current.Clear();
                foreach (var property in pod)
                {
                    current[property.Key] = property.Value?.DeepClone();
                }

                if (hasStatus)
                {
                    current["status"] = status;
                }

                return fields;
            }));
            changed.Add(podRef);
            notes.Add(what);
            unavailable++;
            waiting.Add(podRef.Name);
            if (batch > 0 && store.Get(podRef) is { } written)
            {
                moving[podRef.Name] = written.Version;
            }
        }

        if (changed.Count > 0)
        {
            podsChanged(changed, commit);
        }

        var nextCount = PinnedPods.NextCount(pd.Spec.Replicas, pd.Spec.PercentNext, pd.Spec.Rounding);
        var running = desired.Count(d => existing.TryGetValue(d.Ref, out var s) && s.Matches(d.Pod) && s.Phase == "Running" && !moving.ContainsKey(d.Ref.Name));
        var status = new JsonObject
        {
            ["replicas"] = pd.Spec.Replicas,
            ["nextCount"] = nextCount,
            ["previousCount"] = pd.Spec.Replicas - nextCount,
            ["readyReplicas"] = running,
            ["updating"] = new JsonArray(waiting.Select(w => (JsonNode?)w).ToArray()),
        };
        if (moving.Count > 0)
        {
            status["moving"] = new JsonObject(moving.Select(m => KeyValuePair.Create(m.Key, (JsonNode?)m.Value)));
        }
        var summary = notes.Count > 0 ? string.Join("; ", notes) : $"{running}/{pd.Spec.Replicas} pods run their version ({nextCount} next, {pd.Spec.Replicas - nextCount} previous)";
        var answer = new Dictionary<string, JsonNode?> { ["status"] = status };
        return ValueTask.FromResult(waiting.Count == 0 && changed.Count == 0
            ? new LoopAnswer(answer, summary, null)
            : new LoopAnswer(answer, waiting.Count > 0 ? $"{summary}; waiting for {string.Join(", ", waiting)} to run" : summary, WaitForPods.TotalSeconds));
    }

    /// <summary>A stored pod of the deployment, parsed once per run: its definition (status aside) and its phase.</summary>
    private sealed record ExistingPod(ObjectRef Ref, JsonObject Definition, string? Phase)
    {
        /// <summary>Whether the pod already is what the PinnedDeployment wants (its spec and labels; status aside).</summary>
        public bool Matches(JsonObject desired) => JsonNode.DeepEquals(Definition, desired);
    }

    private static ExistingPod Read(StoredObject stored)
    {
        var current = GitOrch.Core.Manifests.ManifestJson.Parse(stored.ObjectJson);
        var phase = current["status"]?["phase"]?.ToString();
        current.Remove("status");
        return new ExistingPod(stored.Ref, current, phase);
    }

    /// <summary>Whether the runtime has reported the pod running since this loop wrote <paramref name="version"/> of it.</summary>
    private bool RunsVersion(ExistingPod pod, int version) =>
        pod.Phase == "Running" && store.History(pod.Ref, changer: Changers.Loop(BuiltInLoops.Runtime)).Any(v => v.Version > version);

    /// <summary>A refused write fails the step with admission's diagnostic; nothing was written.</summary>
    private static long Admitted(WriteOutcome outcome) =>
        outcome.IsRefused ? throw new LoopCallException($"admission refused the write: {outcome.Describe()}") : outcome.Batch;

    private ChangeBatch Batch(string message, string? commit, ObjectChange change) =>
        new(Changers.Loop(Name), ChangeKind.Mechanical, commit, $"{Name}: {message}", Name, $"{Name}@control-loop.gitorch", [change]);
}
