using System.Globalization;
using System.Text.RegularExpressions;
using System.Text.Json.Nodes;
using GitOrch.Core.Ownership;

namespace GitOrch.Workflow.Loops;

/// <summary>
/// What a loop may see and write. A loop sees its object's apiVersion, kind and metadata plus the
/// fields it declared in <c>reads</c> (and <c>owns</c>); everything else is stripped. It may set only
/// fields under its <c>owns</c> paths.
/// </summary>
public static partial class FieldAccess
{
    /// <summary>The object as the loop may see it.</summary>
    public static JsonObject Project(JsonObject obj, string kind, IEnumerable<FieldPath> visible)
    {
        var result = new JsonObject();
        foreach (var key in new[] { "apiVersion", "kind", "metadata" })
        {
            if (obj.TryGetPropertyValue(key, out var value))
            {
                result[key] = value?.DeepClone();
            }
        }

        foreach (var path in visible.Where(p => p.Kind == kind))
        {
            Copy(obj, result, path.Segments, 0);
        }

        return result;
    }

    private static void Copy(JsonNode? source, JsonNode? target, IReadOnlyList<string> segments, int i)
    {
        if (i == segments.Count)
        {
            return;
        }

        var segment = segments[i];
        if (segment == FieldPath.AnyItem)
        {
            if (source is not JsonArray items || target is not JsonArray copies)
            {
                return;
            }

            while (copies.Count < items.Count)
            {
                copies.Add(new JsonObject());
            }

            for (var n = 0; n < items.Count; n++)
            {
                if (i + 1 == segments.Count)
                {
                    copies[n] = items[n]?.DeepClone();
                }
                else if (items[n] is JsonObject && copies[n] is JsonObject)
                {
                    Copy(items[n], copies[n], segments, i + 1);
                }
            }

            return;
        }

        // A field set to null is there: it is copied as null (and a path below it finds nothing).
        if (source is not JsonObject from || target is not JsonObject to || !from.TryGetPropertyValue(segment, out var value))
        {
            return;
        }

        if (i + 1 == segments.Count)
        {
            to[segment] = value?.DeepClone();
            return;
        }

        var next = segments[i + 1] == FieldPath.AnyItem ? (JsonNode)new JsonArray() : new JsonObject();
        if (to[segment] is { } existing && (existing is JsonArray) == (next is JsonArray) && existing is JsonArray or JsonObject)
        {
            next = existing;
        }
        else
        {
            to[segment] = next;
        }

        Copy(value, next, segments, i + 1);
    }

    /// <summary>Splits "status.volumes[0].ready" into segments, list indexes as ints; null when malformed.</summary>
    public static IReadOnlyList<object>? Parse(string path)
    {
        var segments = new List<object>();
        foreach (var part in path.Split('.'))
        {
            var match = SegmentPattern().Match(part);
            if (!match.Success)
            {
                return null;
            }

            segments.Add(match.Groups[1].Value);
            foreach (Capture index in match.Groups[2].Captures)
            {
                segments.Add(int.Parse(index.Value, CultureInfo.InvariantCulture));
            }
        }

        return segments;
    }

    /// <summary>The segments with indexes as [*], for ownership checks.</summary>
    public static IReadOnlyList<string> Normalize(IReadOnlyList<object> segments) =>
        segments.Select(s => s is int ? FieldPath.AnyItem : (string)s).ToList();

    /// <summary>Sets a value at a path, creating mappings on the way. Returns whether anything changed.</summary>
    public static bool Set(JsonObject obj, IReadOnlyList<object> segments, JsonNode? value)
    {
        JsonNode? current = obj;
        for (var i = 0; i < segments.Count - 1; i++)
        {
            var next = segments[i + 1] is int ? (JsonNode)new JsonArray() : new JsonObject();
            current = segments[i] switch
            {
                string key when current is JsonObject o => o.TryGetPropertyValue(key, out var existing) ? existing : o[key] = next,
                int index when current is JsonArray a && index < a.Count => a[index],
                int index when current is JsonArray a && index == a.Count => Append(a, next),
                _ => throw new ArgumentException($"cannot set {string.Join('.', segments)}: the path crosses a value that is not a mapping or list"),
            };
        }

        switch (segments[^1], current)
        {
            case (string key, JsonObject o):
                if (o.TryGetPropertyValue(key, out var old) && JsonNode.DeepEquals(old, value))
                {
                    return false;
                }

                o[key] = value?.DeepClone();
                return true;
            case (int index, JsonArray a) when index <= a.Count:
                if (index < a.Count && JsonNode.DeepEquals(a[index], value))
                {
                    return false;
                }

                if (index == a.Count)
                {
                    a.Add(value?.DeepClone());
                }
                else
                {
                    a[index] = value?.DeepClone();
                }

                return true;
            default:
                throw new ArgumentException($"cannot set {string.Join('.', segments)}: its parent is not a mapping or list");
        }
    }

    private static JsonNode Append(JsonArray array, JsonNode item)
    {
        array.Add(item);
        return item;
    }

    [GeneratedRegex(@"^([A-Za-z_][A-Za-z0-9_\-]*)(?:\[(\d+)\])*$", RegexOptions.CultureInvariant)]
    private static partial Regex SegmentPattern();
}
