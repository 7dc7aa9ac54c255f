using System.Text;
using Newtonsoft.Json.Linq;

namespace GitOrch.Core.Objects;

/// <summary>
/// The fields that differ between two versions of an object, as dotted paths with list indexes
/// (<c>spec.containers[0].image</c>). A whole subtree added or removed is one path.
/// </summary>
public static class FieldDiff
{
    public static IReadOnlyList<string> Changed(JToken? before, JToken? after)
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

    private static void Walk(JToken? a, JToken? b, StringBuilder path, List<string> changes)
    {
        if (a is JObject oa && b is JObject ob)
        {
            foreach (var property in oa.Properties())
            {
                Descend(path, property.Name, () => Walk(property.Value, ob[property.Name], path, changes));
            }

            foreach (var property in ob.Properties().Where(p => oa[p.Name] is null))
            {
                Descend(path, property.Name, () => changes.Add(path.ToString()));
            }

            return;
        }

        if (a is JArray aa && b is JArray ab)
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

        if (!JToken.DeepEquals(a, b) && path.Length > 0)
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
