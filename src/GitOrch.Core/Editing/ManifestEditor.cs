using System.Text;
using System.Text.Json.Nodes;
using GitOrch.Core.Diagnostics;
using GitOrch.Core.Loading;
using GitOrch.Core.Manifests;
using GitOrch.Core.Rendering;

namespace GitOrch.Core.Editing;

/// <summary>
/// Rewrites one object's document inside a manifest file, keeping everything else as written.
/// When only values change, each value is replaced in place and every comment survives; when the
/// shape changes (fields or list items added or removed), the document body is rendered anew.
/// </summary>
public static class ManifestEditor
{
    /// <summary>The result: the new file text, and whether comments inside the document were kept.</summary>
    public sealed record Edit(string Text, bool CommentsKept);

    /// <summary>Finds the document that defines <paramref name="obj"/> in a file; null when the file has none.</summary>
    public static SourceDocument? FindDocument(string file, string text, ObjectRef obj)
    {
        foreach (var document in YamlReader.Read(file, text, new List<Diagnostic>()))
        {
            if (document.Root is not MappingNode root)
            {
                continue;
            }

            var metadata = root["metadata"] as MappingNode;
            var kind = (root["kind"] as ScalarNode)?.Value;
            var name = (metadata?["name"] as ScalarNode)?.Value;
            var ns = (metadata?["namespace"] as ScalarNode)?.Value ?? (obj.Namespace.Length == 0 ? string.Empty : Manifests.ManifestObject.DefaultNamespace);
            if (kind == obj.Kind && name == obj.Name && (obj.Namespace.Length == 0 || ns == obj.Namespace))
            {
                return document;
            }
        }

        return null;
    }

    /// <summary>Rewrites <paramref name="document"/> of <paramref name="text"/> so that it says <paramref name="target"/>.</summary>
    public static Edit Rewrite(string text, SourceDocument document, JsonObject target)
    {
        var current = SourceJson.ToJson(document.Root);
        var replacements = new List<(SourceNode Node, JsonNode? Value)>();
        if (SameShape(current, target, document.Root, replacements))
        {
            var lines = LineStarts(text);
            var result = new StringBuilder(text);
            foreach (var (node, value) in replacements.OrderByDescending(r => r.Node.Line).ThenByDescending(r => r.Node.Column))
            {
                var scalar = (ScalarNode)node;
                var start = lines[scalar.Line - 1] + scalar.Column - 1;
                var end = lines[scalar.EndLine - 1] + scalar.EndColumn - 1;
                while (end > start && text[end - 1] is '\n' or '\r')
                {
                    end--; // A block scalar (| or >) ends at the start of the next line: keep the line break.
                }

                // The file's own quoting where the value was quoted; otherwise flow-safe quoting: a value
                // inside {...} or [...] must not carry a bare comma or bracket.
                result.Remove(start, end - start).Insert(start, KeepQuoting(scalar, value) ?? YamlRenderer.Scalar(value, flowSafe: true));
            }

            return new Edit(result.ToString(), CommentsKept: true);
        }

        // Fields were added or removed: render the document's body anew, keeping the file around it.
        var all = text.Split('\n');
        var first = document.Root.Line - 1;
        var last = first;
        while (last + 1 < all.Length && !all[last + 1].StartsWith("---", StringComparison.Ordinal) && !all[last + 1].StartsWith("...", StringComparison.Ordinal))
        {
            last++;
        }

        while (last > first && (all[last].Trim().Length == 0 || all[last].TrimStart().StartsWith('#')))
        {
            last--; // Keep blank lines and comments that trail the document (they usually introduce the next one).
        }

        var rendered = YamlRenderer.Render(target).TrimEnd('\n').Split('\n');
        var lines2 = all.Take(first).Concat(rendered).Concat(all.Skip(last + 1));
        return new Edit(string.Join('\n', lines2), CommentsKept: false);
    }

    /// <summary>Whether two trees have the same keys and list lengths; collects the scalars whose values differ.</summary>
    private static bool SameShape(JsonNode? current, JsonNode? target, SourceNode node, List<(SourceNode, JsonNode?)> replacements)
    {
        switch (current, target, node)
        {
            case (JsonObject a, JsonObject b, MappingNode m):
                if (a.Count != b.Count || a.Any(p => !b.ContainsKey(p.Key)))
                {
                    return false;
                }

                foreach (var (key, value) in m.Entries)
                {
                    if (!SameShape(a[key.Value], b[key.Value], value, replacements))
                    {
                        return false;
                    }
                }

                return true;
            case (JsonArray a, JsonArray b, SequenceNode s):
                if (a.Count != b.Count)
                {
                    return false;
                }

                for (var i = 0; i < a.Count; i++)
                {
                    if (!SameShape(a[i], b[i], s.Items[i], replacements))
                    {
                        return false;
                    }
                }

                return true;
            case (JsonValue or null, JsonValue or null, ScalarNode scalar):
                // A JSON null is a null node: a scalar set to or from null is still a scalar.
                if (!JsonNode.DeepEquals(current, target) && !SameText(scalar, target))
                {
                    replacements.Add((scalar, target));
                }

                return true;
            default:
                return JsonNode.DeepEquals(current, target);
        }
    }

    /// <summary>A string value in the quotes its scalar had in the file ("..." or '...'); null when it had none or the value is no string.</summary>
    private static string? KeepQuoting(ScalarNode scalar, JsonNode? value) => (scalar.Quote, StringOf(value)) switch
    {
        ('"', { } s) => YamlRenderer.Quote(s),
        ('\'', { } s) when s.All(c => c >= ' ' && c != '\u0085' && c != '\u2028' && c != '\u2029') => "'" + s.Replace("'", "''", StringComparison.Ordinal) + "'",
        ('\'', { } s) => YamlRenderer.Quote(s),
        _ => null,
    };

    private static string? StringOf(JsonNode? value) => value.ScalarKind() == JsonScalar.String ? value!.GetValue<string>() : null;

    private static bool SameText(ScalarNode scalar, JsonNode? value) => StringOf(value) is { } s && scalar.Value == s;

    private static int[] LineStarts(string text)
    {
        var starts = new List<int> { 0 };
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] == '\n')
            {
                starts.Add(i + 1);
            }
        }

        return [.. starts];
    }
}
