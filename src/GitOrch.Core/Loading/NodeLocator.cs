using System.Globalization;

namespace GitOrch.Core.Loading;

/// <summary>
/// Finds the YAML node behind a JSON path such as <c>spec.containers[0].image</c>. Keys may contain
/// dots (labels, sysctls), so the walk tries each key that is a prefix of the rest of the path and
/// backtracks, rather than splitting on dots.
/// </summary>
public static class NodeLocator
{
    /// <summary>A located node, and the key it sits under when the path ends at a mapping entry.</summary>
    public readonly record struct Located(SourceNode Node, ScalarNode? Key)
    {
        /// <summary>Where a diagnostic about this field belongs: the key when there is one, else the value.</summary>
        public (int Line, int Column) Position => Key is { } k ? (k.Line, k.Column) : (Node.Line, Node.Column);
    }

    /// <summary>Finds <paramref name="path"/> ("a.b[2].c", an optional leading "#/" is ignored).</summary>
    public static Located? Find(SourceNode root, string path)
    {
        if (path.StartsWith("#/", StringComparison.Ordinal))
        {
            path = path[2..];
        }
        else if (path == "#")
        {
            path = string.Empty;
        }

        return Walk(root, path, null);
    }

    /// <summary>
    /// Finds the deepest node on <paramref name="path"/> that exists: for a missing field, its
    /// parent. Never null: the root at worst.
    /// </summary>
    public static Located FindNearest(SourceNode root, string path)
    {
        if (path.StartsWith("#/", StringComparison.Ordinal))
        {
            path = path[2..];
        }

        var current = path;
        while (current.Length > 0)
        {
            if (Find(root, current) is { } found)
            {
                return found;
            }

            var cut = Math.Max(current.LastIndexOf('.'), current.LastIndexOf('['));
            current = cut > 0 ? current[..cut] : string.Empty;
        }

        return new Located(root, null);
    }

    /// <summary>Finds a node by explicit segments (string keys and int indexes): no ambiguity.</summary>
    public static Located? Find(SourceNode root, IEnumerable<object> segments)
    {
        var node = root;
        ScalarNode? key = null;
        foreach (var segment in segments)
        {
            switch (segment, node)
            {
                case (string name, MappingNode mapping) when mapping.Entry(name) is { } entry:
                    key = entry.Key;
                    node = entry.Value;
                    break;
                case (int index, SequenceNode sequence) when index >= 0 && index < sequence.Items.Count:
                    key = null;
                    node = sequence.Items[index];
                    break;
                default:
                    return null;
            }
        }

        return new Located(node, key);
    }

    private static Located? Walk(SourceNode node, string rest, ScalarNode? key)
    {
        if (rest.Length == 0)
        {
            return new Located(node, key);
        }

        if (rest[0] == '[')
        {
            var close = rest.IndexOf(']', StringComparison.Ordinal);
            if (close < 0 || node is not SequenceNode sequence
                || !int.TryParse(rest.AsSpan(1, close - 1), NumberStyles.None, CultureInfo.InvariantCulture, out var index)
                || index >= sequence.Items.Count)
            {
                return null;
            }

            return Walk(sequence.Items[index], SkipDot(rest[(close + 1)..]), null);
        }

        if (node is not MappingNode mapping)
        {
            return null;
        }

        foreach (var (k, value) in mapping.Entries)
        {
            var name = k.Value;
            if (name.Length == 0 || !rest.StartsWith(name, StringComparison.Ordinal))
            {
                continue;
            }

            if (rest.Length != name.Length && rest[name.Length] is not '.' and not '[')
            {
                continue;
            }

            if (Walk(value, SkipDot(rest[name.Length..]), k) is { } found)
            {
                return found;
            }
        }

        return null;
    }

    private static string SkipDot(string s) => s.StartsWith('.') ? s[1..] : s;
}
