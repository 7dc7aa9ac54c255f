using System.Text.RegularExpressions;

namespace GitOrch.Core.Ownership;

/// <summary>
/// A field of a kind: <c>Pod:spec.containers[*].image</c>. A path owns its whole subtree; two paths
/// overlap when one is a prefix of the other (segment by segment, <c>[*]</c> counting as a segment).
/// </summary>
public sealed partial record FieldPath(string Kind, IReadOnlyList<string> Segments)
{
    public const string AnyItem = "[*]";

    public static bool TryParse(string text, out FieldPath? path, out string? error)
    {
        path = null;
        error = null;
        var colon = text.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0 || colon == text.Length - 1)
        {
            error = "a field path has the form Kind:dotted.path, such as Pod:status.volumes";
            return false;
        }

        var kind = text[..colon];
        var rest = text[(colon + 1)..];
        var segments = new List<string>();
        foreach (var part in rest.Split('.'))
        {
            var match = SegmentPattern().Match(part);
            if (!match.Success)
            {
                error = $"\"{part}\" is not a field name (letters, digits and '_', starting with a letter, optionally followed by [*])";
                return false;
            }

            segments.Add(match.Groups[1].Value);
            if (match.Groups[2].Success)
            {
                segments.Add(AnyItem);
            }
        }

        if (segments[0] is not ("metadata" or "spec" or "status"))
        {
            error = $"a field path starts with metadata, spec or status, not \"{segments[0]}\"";
            return false;
        }

        path = new FieldPath(kind, segments);
        return true;
    }

    public static FieldPath Parse(string text) =>
        TryParse(text, out var path, out var error) ? path! : throw new FormatException($"{text}: {error}");

    /// <summary>Whether one path is a prefix of the other (same kind).</summary>
    public bool Overlaps(FieldPath other) =>
        Kind == other.Kind && (IsPrefixOf(Segments, other.Segments) || IsPrefixOf(other.Segments, Segments));

    /// <summary>Whether this path owns the concrete field <paramref name="field"/> (list indexes as [*]).</summary>
    public bool Covers(string kind, IReadOnlyList<string> field) => Kind == kind && IsPrefixOf(Segments, field);

    /// <summary>The path without its kind: <c>status.nodeName</c>.</summary>
    public string Dotted => Render(Segments);

    public override string ToString() => $"{Kind}:{Dotted}";

    /// <summary>Renders segments as a dotted path with [*] attached to its list.</summary>
    public static string Render(IEnumerable<string> segments)
    {
        var text = new System.Text.StringBuilder();
        foreach (var segment in segments)
        {
            if (segment.StartsWith('['))
            {
                text.Append(segment);
            }
            else
            {
                if (text.Length > 0)
                {
                    text.Append('.');
                }

                text.Append(segment);
            }
        }

        return text.ToString();
    }

    public bool Equals(FieldPath? other) => other is not null && Kind == other.Kind && Segments.SequenceEqual(other.Segments);

    public override int GetHashCode() => HashCode.Combine(Kind, string.Join('.', Segments));

    private static bool IsPrefixOf(IReadOnlyList<string> prefix, IReadOnlyList<string> of)
    {
        if (prefix.Count > of.Count)
        {
            return false;
        }

        for (var i = 0; i < prefix.Count; i++)
        {
            if (prefix[i] != of[i])
            {
                return false;
            }
        }

        return true;
    }

    [GeneratedRegex(@"^([A-Za-z][A-Za-z0-9_]*)(\[\*\])?$")]
    private static partial Regex SegmentPattern();
}
