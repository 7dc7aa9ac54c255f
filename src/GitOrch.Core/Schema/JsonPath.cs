using System.Globalization;
using Newtonsoft.Json.Linq;

namespace GitOrch.Core.Schema;

/// <summary>Finds a token by a dotted path whose keys may themselves contain dots (backtracking).</summary>
public static class JsonPath
{
    public static JToken? Find(JToken node, string rest)
    {
        if (rest.Length == 0)
        {
            return node;
        }

        if (rest[0] == '[')
        {
            var close = rest.IndexOf(']', StringComparison.Ordinal);
            if (close < 0 || node is not JArray array
                || !int.TryParse(rest.AsSpan(1, close - 1), NumberStyles.None, CultureInfo.InvariantCulture, out var index)
                || index >= array.Count)
            {
                return null;
            }

            return Find(array[index], SkipDot(rest[(close + 1)..]));
        }

        if (node is not JObject obj)
        {
            return null;
        }

        foreach (var property in obj.Properties())
        {
            var name = property.Name;
            if (name.Length == 0 || !rest.StartsWith(name, StringComparison.Ordinal)
                || (rest.Length != name.Length && rest[name.Length] is not '.' and not '['))
            {
                continue;
            }

            if (Find(property.Value, SkipDot(rest[name.Length..])) is { } found)
            {
                return found;
            }
        }

        return null;
    }

    private static string SkipDot(string s) => s.StartsWith('.') ? s[1..] : s;
}
