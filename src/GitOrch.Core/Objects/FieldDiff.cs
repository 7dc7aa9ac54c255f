using System.Text;
using System.Text.Json.Nodes;

namespace GitOrch.Core.Objects;

/// <summary>
/// The fields that differ between two versions of an object, as dotted paths with list indexes
/// (<c>spec.containers[0].image</c>). A whole subtree added or removed is one path.
/// </summary>
public static class FieldDiff
{
    public static IReadOnlyList<string> Changed(JsonNode? before, JsonNode? after)
    {
        var changes = new List<string>();
        Walk(before, after, new StringBuilder(), changes);
        return changes;
    }

    /// <summary>Whether a changed path touches a queried field (one is a prefix of the other).</summary>
    public static bool Touches(string changed, string field)
    {
        static bool IsPrefix(string prefix, string of) =>
            of.StartsWith(prefix, StringComparison.Ordinal) && (of.Length == prefix.Length || of[prefix.Length] is '.' or '[');
        return IsPrefix(changed, field) || IsPrefix(field, changed);
    }

    private static void Walk(JsonNode? a, JsonNode? b, StringBuilder path, List<string> changes)
    {
        if (a is JsonObject oa && b is JsonObject ob)
        {
            // A field set to null is there: a field removed is a change even when its value was null.
            foreach (var property in oa)
            {
                Descend(path, property.Key, () =>
                {
                    if (ob.TryGetPropertyValue(property.Key, out var other))
                    {
                        Walk(property.Value, other, path, changes);
                    }
                    else
                    {
                        changes.Add(path.ToString());
                    }
                });
            }

            foreach (var property in ob.Where(p => !oa.ContainsKey(p.Key)))
            {
                Descend(path, property.Key, () => changes.Add(path.ToString()));
            }

            return;
        }

        if (a is JsonArray aa && b is JsonArray ab)
        {
            var length = path.Length;
            for (var i = 0; i < Math.Max(aa.Count, ab.Count); i++)
            {
                path.Append('[').Append(i).Append(']');
                if (i >= aa.Count || i >= ab.Count)
                {
                    changes.Add(path.ToString());
                }
                else
                {
                    Walk(aa[i], ab[i], path, changes);
                }

                path.Length = length;
            }

            return;
        }

        if (!JsonNode.DeepEquals(a, b) && path.Length > 0)
        {
            changes.Add(path.ToString());
        }
    }

    private static void Descend(StringBuilder path, string name, Action then)
    {
        var length = path.Length;
        if (path.Length > 0)
        {
            path.Append('.');
        }

        path.Append(name);
        then();
        path.Length = length;
    }
}
