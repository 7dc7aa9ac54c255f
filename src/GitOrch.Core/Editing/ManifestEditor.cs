using System.Text;
using GitOrch.Core.Diagnostics;
using GitOrch.Core.Loading;
using GitOrch.Core.Rendering;
using Newtonsoft.Json.Linq;

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
    public static Edit Rewrite(string text, SourceDocument document, JObject target)
    {
        var current = SourceJson.ToJson(document.Root);
        var replacements = new List<(SourceNode Node, JToken Value)>();
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
    private static bool SameShape(JToken current, JToken target, SourceNode node, List<(SourceNode, JToken)> replacements)
    {
        switch (current, target, node)
        {
            case (JObject a, JObject b, MappingNode m):
                if (a.Count != b.Count || a.Properties().Any(p => b[p.Name] is null))
                {
                    return false;
                }

                foreach (var (key, value) in m.Entries)
                {
                    if (!SameShape(a[key.Value]!, b[key.Value]!, value, replacements))
                    {
                        return false;
                    }
                }

                return true;
            case (JArray a, JArray b, SequenceNode s):
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
            case (JValue a, JValue b, ScalarNode scalar):
                if (!JToken.DeepEquals(a, b) && !SameText(scalar, b))
                {
                    replacements.Add((scalar, b));
                }

                return true;
            default:
                return JToken.DeepEquals(current, target);
        }
    }

    /// <summary>A string value in the quotes its scalar had in the file ("..." or '...'); null when it had none or the value is no string.</summary>
    private static string? KeepQuoting(ScalarNode scalar, JToken value) => (scalar.Quote, value) switch
    {
        ('"', JValue { Type: JTokenType.String } s) => YamlRenderer.Quote((string)s!),
        ('\'', JValue { Type: JTokenType.String } s) when ((string)s!).All(c => c >= ' ' && c != '\u0085' && c != '\u2028' && c != '\u2029') => "'" + ((string)s!).Replace("'", "''", StringComparison.Ordinal) + "'",
        ('\'', JValue { Type: JTokenType.String } s) => YamlRenderer.Quote((string)s!),
        _ => null,
    };

    private static bool SameText(ScalarNode scalar, JValue value) => value.Type == JTokenType.String && scalar.Value == (string?)value;

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
