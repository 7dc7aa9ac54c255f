using System.Text.Json.Nodes;
using GitOrch.Core.Diagnostics;
using GitOrch.Core.Loading;
using GitOrch.Core.Manifests;
using GitOrch.Core.Objects;
using GitOrch.Core.Ownership;
using GitOrch.Core.Rendering;
using GitOrch.Core.Schema;
using GitOrch.Core.Validation;

namespace GitOrch.Core.Admission;

/// <summary>
/// The one admission check every object write passes: the writer owns every field it changes,
/// and the object it leaves behind passes the schema, the limits and its namespace's security
/// policy. Errors are positioned in the object as rendered (<c>objects/Kind/ns/name.yaml</c>, the
/// same path and layout as the history mirror), so the writer sees where its value went wrong.
/// </summary>
public static class ObjectAdmission
{
    /// <summary>The largest object JSON admitted when the ClusterPolicy sets no limit.</summary>
    public const int DefaultMaxObjectBytes = (int)Loading.InputLimits.DefaultMaxObjectBytes;

    private const string GitPrefix = "git/";
    private const string LoopPrefix = "control-loop/";

    /// <summary>Every reason to refuse <paramref name="write"/> (empty: admitted).</summary>
    public static IReadOnlyList<Diagnostic> Check(ObjectWrite write, AdmissionPolicy policy)
    {
        var diagnostics = new List<Diagnostic>();
        // Creating or deleting an object changes every one of its fields.
        var changed = write.Before is null || write.After is null
            ? (write.Before ?? write.After)?.Select(p => p.Key).ToList() ?? []
            : FieldDiff.Changed(write.Before, write.After);
        if (changed.Count == 0)
        {
            return diagnostics;
        }

        var file = RenderedPath(write.Object);
        CheckOwnership(write, policy, changed, file, diagnostics);
        if (write.After is { } after)
        {
            CheckObject(write.Object, after, policy, file, diagnostics);
        }

        return diagnostics;
    }

    /// <summary>
    /// Git owns every field no loop owns; a loop owns its declared fields, and a generating loop
    /// (pinned-deployment) the whole of the objects it generated. Creating or deleting an object is
    /// changing all of its fields.
    /// </summary>
    private static void CheckOwnership(ObjectWrite write, AdmissionPolicy policy, IReadOnlyList<string> changed, string file, List<Diagnostic> diagnostics)
    {
        var kind = write.Object.Kind;
        if (write.Changer.StartsWith(LoopPrefix, StringComparison.Ordinal))
        {
            var name = write.Changer[LoopPrefix.Length..];
            var loop = policy.Loops.FirstOrDefault(l => l.Name == name);
            if (loop is null)
            {
                diagnostics.Add(Refusal(write, file, "metadata", $"control loop {name} is not registered, so it owns no field; register it with a ControlLoop in Git"));
                return;
            }

            if (write.GeneratedByWriter)
            {
                return;
            }

            if (write.Before is null || write.After is null)
            {
                diagnostics.Add(Refusal(write, file, "metadata",
                    $"control loop {name} tried to {(write.After is null ? "delete" : "create")} {write.Object.Display}, which it did not generate; a loop writes only the fields it owns [{string.Join(", ", loop.Owns)}]"));
                return;
            }

            foreach (var field in changed.SelectMany(f => Leaves(f, write, s => loop.Owns.Any(p => p.Covers(kind, s)))))
            {
                var segments = Segments(field);
                if (!loop.Owns.Any(p => p.Covers(kind, segments)))
                {
                    var owner = policy.Loops.FirstOrDefault(l => l.Owns.Any(p => p.Covers(kind, segments)));
                    var who = owner is not null ? $"control loop {owner.Name} owns it" : "no control loop owns it: it belongs to Git";
                    diagnostics.Add(Refusal(write, file, field,
                        $"{write.Changer} tried to set {field}, which it does not own ({who}); it owns only [{string.Join(", ", loop.Owns)}]", write.After));
                }
            }

            return;
        }

        if (!write.Changer.StartsWith(GitPrefix, StringComparison.Ordinal))
        {
            diagnostics.Add(Refusal(write, file, "metadata", $"\"{write.Changer}\" is not a writer: a change comes from git/<email> or control-loop/<name>"));
            return;
        }

        var ownedByLoops = (IReadOnlyList<string> s) => policy.Loops.Any(l => l.Owns.Any(p => p.Covers(kind, s)));
        foreach (var field in changed.Where(f => f != "status" && !f.StartsWith("status.", StringComparison.Ordinal)).SelectMany(f => Leaves(f, write, s => !ownedByLoops(s))))
        {
            var segments = Segments(field);
            if (policy.Loops.FirstOrDefault(l => l.Owns.Any(p => p.Covers(kind, segments))) is { } owner)
            {
                diagnostics.Add(Refusal(write, file, field, $"Git may not set {field}: control loop {owner.Name} owns it; remove it from the manifest", write.After));
            }
        }

        if (write.Before is { } old && old.TryGetPropertyValue("status", out var before) && write.After is { } after
            && !(after.TryGetPropertyValue("status", out var afterStatus) && JsonNode.DeepEquals(before, afterStatus)))
        {
            diagnostics.Add(Refusal(write, file, "status", "Git may not set status: control loops own it; remove it from the manifest", write.After));
        }
    }

    /// <summary>The object as it would be stored: schema, pod spec rules, limits, the namespace's security policy.</summary>
    private static void CheckObject(ObjectRef obj, JsonObject after, AdmissionPolicy policy, string file, List<Diagnostic> diagnostics)
    {
        var errors = Limits(obj, after, policy, file);
        if (errors.Count > 0)
        {
            diagnostics.AddRange(errors); // Too large to parse again: the cost is never paid.
            return;
        }

        var loaded = ManifestLoader.LoadFile(new ManifestFile(file, YamlRenderer.Render(after)));
        diagnostics.AddRange(loaded.Diagnostics.Where(d => d.IsError));
        if (loaded.Objects.Count != 1)
        {
            return;
        }

        var written = loaded.Objects[0];
        if (written.Ref != obj)
        {
            diagnostics.Add(Diagnostic.Error(written.At("metadata", "name"), DiagnosticCodes.Inconsistent,
                $"{obj.Display}: the written object names itself {written.Ref.Display}; a write may not rename an object", obj));
            return;
        }

        List<LoadedObject> objects = policy.ClusterPolicy is { } clusterPolicy && obj.Kind != Kinds.ClusterPolicy ? [written, clusterPolicy] : [written];
        var found = new List<Diagnostic>();
        var context = new ValidationContext(objects, found);
        SecurityRules.CheckPolicy(context);
        PodSpecRules.CheckObject(context, written);
        SecurityRules.CheckObject(context, written);
        diagnostics.AddRange(found.Where(d => d.IsError && d.Object == obj));
    }

    /// <summary>
    /// The limits a written object must respect. The one place limits plug into admission: the
    /// size of the object's JSON against the ClusterPolicy's <c>limits.maxObjectBytes</c>
    /// (<see cref="DefaultMaxObjectBytes"/> without one), the same limit a commit is held to.
    /// </summary>
    private static List<Diagnostic> Limits(ObjectRef obj, JsonObject after, AdmissionPolicy policy, string file)
    {
        var limit = Loading.InputLimits.Of(policy.ClusterPolicy?.Object as Manifests.ClusterPolicy).MaxObjectBytes;
        var bytes = System.Text.Encoding.UTF8.GetByteCount(after.Write());
        return bytes <= limit
            ? []
            : [Diagnostic.Error(new SourceLocation(file, 1, 1), DiagnosticCodes.AdmittedObjectTooLarge,
                $"{obj.Display}: the object would be {bytes} bytes of JSON, over the limit of {limit}; write less into it", obj)];
    }

    /// <summary>
    /// A changed path, split into the changed fields below it while <paramref name="fine"/> does
    /// not accept it whole: a loop that adds <c>status</c> with only <c>status.nodeName</c> in it
    /// changed <c>status.nodeName</c>, not all of status.
    /// </summary>
    private static IEnumerable<string> Leaves(string field, ObjectWrite write, Func<IReadOnlyList<string>, bool> fine)
    {
        if (fine(Segments(field)))
        {
            yield return field;
            yield break;
        }

        var before = At(write.Before, field);
        var after = At(write.After, field);
        var inside = after as JsonObject ?? before as JsonObject;
        if (inside is null || (before is not null and not JsonObject) || (after is not null and not JsonObject) || inside.Count == 0)
        {
            yield return field;
            yield break;
        }

        var children = before is null || after is null ? inside.Select(p => p.Key).ToList() : FieldDiff.Changed(before, after);
        foreach (var child in children)
        {
            foreach (var leaf in Leaves($"{field}.{child}", write, fine))
            {
                yield return leaf;
            }
        }
    }

    private static JsonNode? At(JsonObject? obj, string field) => JsonPath.Find(obj, field);

    /// <summary>The path of the object as the history mirror renders it.</summary>
    public static string RenderedPath(ObjectRef obj) =>
        obj.Namespace.Length == 0 ? $"objects/{obj.Kind}/{obj.Name}.yaml" : $"objects/{obj.Kind}/{obj.Namespace}/{obj.Name}.yaml";

    /// <summary>A changed path (<c>status.volumes[0].ready</c>) as ownership segments (list indexes as [*]).</summary>
    public static IReadOnlyList<string> Segments(string field)
    {
        var segments = new List<string>();
        foreach (var part in field.Split('.'))
        {
            var bracket = part.IndexOf('[', StringComparison.Ordinal);
            segments.Add(bracket < 0 ? part : part[..bracket]);
            for (var i = bracket; i >= 0; i = part.IndexOf('[', i + 1))
            {
                segments.Add(FieldPath.AnyItem);
            }
        }

        return segments;
    }

    private static Diagnostic Refusal(ObjectWrite write, string file, string field, string message, JsonObject? at = null)
    {
        var location = new SourceLocation(file, 1, 1);
        if (at is not null && YamlReader.Read(file, YamlRenderer.Render(at), new List<Diagnostic>()) is [var document, ..])
        {
            var (line, column) = NodeLocator.FindNearest(document.Root, field).Position;
            location = new SourceLocation(file, line, column);
        }

        return Diagnostic.Error(location, DiagnosticCodes.WritesUnownedField, $"{write.Object.Display}: {message}", write.Object);
    }
}
