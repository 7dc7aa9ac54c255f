using System.Globalization;
using System.Text.Json.Nodes;

namespace GitOrch.Core.Schema;

/// <summary>Finds a token by a dotted path whose keys may themselves contain dots (backtracking).</summary>
public static class JsonPath
{
    /// <summary>The node at the path; null when there is none or when the field is set to null (see <see cref="TryFind"/>).</summary>
    public static JsonNode? Find(JsonNode? node, string rest) => TryFind(node, rest, out var found) ? found : null;

    /// <summary>Whether the path exists; <paramref name="found"/> is null for a field set to JSON null.</summary>
    public static bool TryFind(JsonNode? node, string rest, out JsonNode? found)
    {
        found = null;
        if (rest.Length == 0)
        {
            found = node;
            return true;
        }

        if (rest[0] == '[')
        {
            var close = rest.IndexOf(']', StringComparison.Ordinal);
            if (close < 0 || node is not JsonArray array
                || !int.TryParse(rest.AsSpan(1, close - 1), NumberStyles.None, CultureInfo.InvariantCulture, out var index)
                || index >= array.Count)
            {
                return false;
            }

            return TryFind(array[index], SkipDot(rest[(close + 1)..]), out found);
        }

        if (node is not JsonObject obj)
        {
            return false;
        }

        foreach (var property in obj)
        {
            var name = property.Key;
            if (name.Length == 0 || !rest.StartsWith(name, StringComparison.Ordinal)
                || (rest.Length != name.Length && rest[name.Length] is not '.' and not '['))
            {
                continue;
            }

            if (TryFind(property.Value, SkipDot(rest[name.Length..]), out found))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>As <see cref="Find"/>, as an extension: <c>json.SelectPath("spec.containers[0].image")</c>.</summary>
    public static JsonNode? SelectPath(this JsonNode? node, string path) => Find(node, path);

    private static string SkipDot(string s) => s.StartsWith('.') ? s[1..] : s;
}
