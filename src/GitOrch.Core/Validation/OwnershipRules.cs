using System.Text.Json.Nodes;
using GitOrch.Core.Diagnostics;
using GitOrch.Core.Loading;
using GitOrch.Core.Manifests;
using GitOrch.Core.Ownership;

namespace GitOrch.Core.Validation;

/// <summary>
/// Explicit field ownership: every field has at most one owner loop; Git may not write a loop's
/// field; loops that read each other's writes in a cycle are rejected (no proof of convergence).
/// </summary>
internal static class OwnershipRules
{
    /// <summary>The loops themselves: declarations, one owner per field, no read-write cycle.</summary>
    public static void CheckLoops(ValidationContext context)
    {
        RegisterLoops(context);
        CheckOverlaps(context);
        CheckCycles(context);
    }

    /// <summary>Turns each ControlLoop into a declaration; malformed paths are reported and left out.</summary>
    private static void RegisterLoops(ValidationContext context)
    {
        foreach (var obj in context.OfKind(Kinds.ControlLoop))
        {
            var loop = (ControlLoop)obj.Object;
            var name = loop.Metadata.Name;
            if (context.Loops.Any(l => l.Name == name && !l.IsBuiltIn))
            {
                continue; // Defined twice: DuplicateRules reports it (GO1010).
            }

            if (BuiltInLoops.IsBuiltIn(name))
            {
                context.Error(obj.At("metadata", "name"), DiagnosticCodes.ReservedLoopName,
                    $"\"{name}\" is the name of a built-in control loop; choose another name", obj);
                continue;
            }

            var handlers = (loop.Spec.Exec is not null ? 1 : 0) + (loop.Spec.Http is not null ? 1 : 0);
            if (handlers != 1)
            {
                context.Error(obj.At("spec"), DiagnosticCodes.Inconsistent,
                    handlers == 0
                        ? "a control loop needs a handler; add exec: {command: [...]} or http: {url: ...}"
                        : "a control loop has exactly one handler, but both exec and http are set; keep one", obj);
            }

            var owns = Parse(context, obj, loop, "owns", loop.Spec.Owns, mustBeHandled: true);
            var reads = Parse(context, obj, loop, "reads", loop.Spec.Reads, mustBeHandled: false);
            context.Loops.Add(new LoopDeclaration(name, loop.Spec.Description ?? string.Empty, loop.Spec.ObjectKinds, owns, reads,
                loop.Spec.Step, loop.Spec.Selector, obj));
        }
    }

    private static List<FieldPath> Parse(ValidationContext context, LoadedObject obj, ControlLoop loop, string list, IReadOnlyList<string>? texts, bool mustBeHandled)
    {
        var paths = new List<FieldPath>();
        for (var i = 0; texts is not null && i < texts.Count; i++)
        {
            var index = i;
            SourceLocation At() => obj.ValueAt("spec", list, index); // Only for a finding: a kept file's tree is read again for it.
            if (!FieldPath.TryParse(texts[i], out var path, out var error))
            {
                context.Error(At(), DiagnosticCodes.BadFieldPath, $"spec.{list}[{i}] \"{texts[i]}\": {error}", obj);
                continue;
            }

            if (!Kinds.All.Contains(path!.Kind))
            {
                context.Error(At(), DiagnosticCodes.BadFieldPath,
                    $"spec.{list}[{i}] \"{texts[i]}\" names the kind \"{path.Kind}\", which does not exist; use one of {string.Join(", ", Kinds.All)}", obj);
                continue;
            }

            if (mustBeHandled && !loop.Spec.ObjectKinds.Contains(path.Kind))
            {
                context.Error(At(), DiagnosticCodes.BadFieldPath,
                    $"spec.owns[{i}] \"{texts[i]}\" is a field of {path.Kind}, but the loop handles only [{string.Join(", ", loop.Spec.ObjectKinds)}]; add {path.Kind} to objectKinds or drop the field", obj);
                continue;
            }

            paths.Add(path);
        }

        return paths;
    }

    private static void CheckOverlaps(ValidationContext context)
    {
        var loops = context.Loops;
        for (var i = 0; i < loops.Count; i++)
        {
            for (var j = i + 1; j < loops.Count; j++)
            {
                foreach (var a in loops[i].Owns)
                {
                    foreach (var b in loops[j].Owns.Where(a.Overlaps))
                    {
                        // Report at the later (Git) loop's claim; built-ins come first in the list.
                        var claimant = loops[j];
                        var at = claimant.Source!.ValueAt("spec", "owns", IndexOf(claimant, b));
                        if (loops[i].IsBuiltIn)
                        {
                            context.Error(at, DiagnosticCodes.ClaimsBuiltInField,
                                $"owns {b}, which overlaps {a} owned by the built-in loop {loops[i].Name}; every field has one owner: drop the claim or choose another field", claimant.Source);
                        }
                        else
                        {
                            context.Error(at, DiagnosticCodes.OwnershipOverlap,
                                $"owns {b}, which overlaps {a} owned by control loop {loops[i].Name} (at {loops[i].Source!.ValueAt("spec", "owns", IndexOf(loops[i], a))}); every field has one owner: split the fields between {loops[i].Name} and {claimant.Name}", claimant.Source);
                        }
                    }
                }
            }
        }
    }

    private static int IndexOf(LoopDeclaration loop, FieldPath path)
    {
        var texts = ((ControlLoop)loop.Source!.Object).Spec.Owns ?? [];
        for (var i = 0; i < texts.Count; i++)
        {
            if (FieldPath.TryParse(texts[i], out var p, out _) && p!.Equals(path))
            {
                return i;
            }
        }

        return 0;
    }

    /// <summary>
    /// Loop A feeds loop B when B reads a field A writes. A cycle in that graph means the loops can
    /// chase each other forever; the registry refuses it and lists the cycle.
    /// </summary>
    private static void CheckCycles(ValidationContext context)
    {
        var loops = context.Loops;
        var feeds = loops.ToDictionary(l => l.Name, _ => new List<(string To, FieldPath Field)>());
        foreach (var writer in loops)
        {
            foreach (var reader in loops.Where(r => r.Name != writer.Name))
            {
                var field = writer.Owns.FirstOrDefault(w => reader.Reads.Any(w.Overlaps));
                if (field is not null)
                {
                    feeds[writer.Name].Add((reader.Name, field));
                }
            }
        }

        foreach (var cycle in Graphs.FindCycles(loops.Select(l => l.Name), n => feeds[n].Select(e => e.To)))
        {
            var steps = new List<string>();
            for (var i = 0; i < cycle.Count; i++)
            {
                var from = cycle[i];
                var to = cycle[(i + 1) % cycle.Count];
                var field = feeds[from].First(e => e.To == to).Field;
                steps.Add($"{from} writes {field}, read by {to}");
            }

            var reportOn = cycle.Select(n => loops.First(l => l.Name == n)).FirstOrDefault(l => !l.IsBuiltIn);
            if (reportOn is null)
            {
                continue; // Built-ins are acyclic by construction (and tested).
            }

            context.Error(reportOn.Source!.At("spec", "reads"), DiagnosticCodes.ReadWriteCycle,
                $"control loops read each other's writes in a cycle: {string.Join(" → ", cycle.Append(cycle[0]))} ({string.Join("; ", steps)}); break the cycle so that the loops converge",
                reportOn.Source);
        }
    }

    /// <summary>
    /// A manifest in Git may not set a field a loop owns (status, for one). Each owned path of the
    /// loops that select the object is followed into the object (its cost is the number of owned
    /// paths, not the size of the object); the first field found under a path is the error.
    /// </summary>
    public static void CheckObject(ValidationContext context, LoadedObject obj)
    {
        var owned = context.OwnedPaths;
        var statusOwnerFound = false;
        JsonObject? json = null; // parsed once, and only for an object that has an owned path's top-level field
        foreach (var (loop, path) in owned)
        {
            // Cheapest test first: most objects from Git have no status at all, so most owned
            // paths are absent and the loop's selector need not be matched.
            if (path.Kind != obj.Object.Kind || !obj.Has(path.Segments[0]) || !loop.Selects(obj.Object))
            {
                continue;
            }

            if (Find(json ??= obj.Json, path.Segments, 0, []) is { } segments)
            {
                statusOwnerFound |= path.Segments[0] == "status";
                context.Error(obj.At(segments), DiagnosticCodes.SetsLoopOwnedField,
                    $"sets {ValidationContext.Render(segments)}, which control loop {loop.Name} owns ({path}); remove it from the manifest: Git may not write a loop's field",
                    obj);
            }
        }

        if (obj.Has("status") && !statusOwnerFound)
        {
            context.Error(obj.At("status"), DiagnosticCodes.SetsLoopOwnedField,
                "sets status, which only control loops write; remove the status block from the manifest", obj);
        }
    }

    /// <summary>The concrete segments of the first value present at an owned path (list items for [*]), or null.</summary>
    private static object[]? Find(JsonNode? token, IReadOnlyList<string> path, int i, List<object> at)
    {
        if (i == path.Count)
        {
            return IsEmpty(token) ? null : [.. at];
        }

        if (path[i] == FieldPath.AnyItem)
        {
            if (token is not JsonArray array)
            {
                return null;
            }

            for (var n = 0; n < array.Count; n++)
            {
                at.Add(n);
                var found = Find(array[n], path, i + 1, at);
                at.RemoveAt(at.Count - 1);
                if (found is not null)
                {
                    return found;
                }
            }

            return null;
        }

        if (token is not JsonObject obj || !obj.TryGetPropertyValue(path[i], out var next))
        {
            return null;
        }

        at.Add(path[i]);
        var result = Find(next, path, i + 1, at);
        at.RemoveAt(at.Count - 1);
        return result;
    }

    /// <summary>An empty mapping or list sets nothing (as the leaf-by-leaf reading had it).</summary>
    private static bool IsEmpty(JsonNode? token) => token is JsonObject { Count: 0 } or JsonArray { Count: 0 };

    /// <summary>Pods a PinnedDeployment generates are its own; a manifest in Git may not define one.</summary>
    /// <param name="generated">The pods the commit's PinnedDeployments generate (<see cref="GeneratedPods"/>).</param>
    public static void CheckGeneratedPods(ValidationContext context, IReadOnlyDictionary<ObjectRef, string> generated)
    {
        if (!generated.Keys.Any(context.Refs.Contains))
        {
            return; // No manifest defines a generated pod: nothing to look for among the pods.
        }

        foreach (var pod in context.OfKind(Kinds.Pod))
        {
            if (generated.TryGetValue(pod.Ref, out var owner))
            {
                context.Error(pod.At("metadata", "name"), DiagnosticCodes.GeneratedObjectInGit,
                    $"is generated by {owner} and owned by control loop pinned-deployment; remove this manifest and change the PinnedDeployment instead", pod);
            }
        }
    }

    /// <summary>
    /// The pods the PinnedDeployments generate, each with its PinnedDeployment and where it is
    /// defined: worked out from the objects that are not pods, so a validation cache keeps them with
    /// those (an owner's text, not the object, so they hold on to no file).
    /// </summary>
    public static Dictionary<ObjectRef, string> GeneratedPods(ValidationContext context)
    {
        var generated = new Dictionary<ObjectRef, string>();
        foreach (var obj in context.OfKind(Kinds.PinnedDeployment))
        {
            var pd = (PinnedDeployment)obj.Object;
            for (var i = 0; i < pd.Spec.Replicas; i++)
            {
                generated.TryAdd(new ObjectRef(Kinds.Pod, pd.Namespace, $"{pd.Metadata.Name}-{i}"), $"{obj.Ref.Display} (at {obj.Location})");
            }
        }

        return generated;
    }
}
