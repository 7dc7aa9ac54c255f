using System.Text.Json.Nodes;
using GitOrch.Core.Manifests;

namespace GitOrch.Core.Loading;

/// <summary>Turns a <see cref="SourceNode"/> tree into JSON for schema validation and binding.</summary>
public static class SourceJson
{
    /// <summary>The JSON of a node; null for a YAML null.</summary>
    public static JsonNode? ToJson(SourceNode node) => node switch
    {
        MappingNode m => ToObject(m),
        SequenceNode s => new JsonArray(s.Items.Select(ToJson).ToArray()),
        ScalarNode v => Typed(v),
        _ => null,
    };

    private static JsonObject ToObject(MappingNode mapping)
    {
        var obj = new JsonObject();
        foreach (var (key, value) in mapping.Entries)
        {
            obj[key.Value] = ToJson(value);
        }

        return obj;
    }

    /// <summary>
    /// Turns the numbers and booleans of string-valued maps (env, sysctls) back into the text they
    /// were written with: <c>V: 1.10</c> means "1.10", not 1.1. <paramref name="source"/> is the
    /// node <paramref name="json"/> was made from.
    /// </summary>
    public static void RestoreText(JsonNode? json, SourceNode source, IReadOnlySet<string> stringMaps)
    {
        switch (json, source)
        {
            case (JsonObject obj, MappingNode mapping):
                foreach (var (key, value) in mapping.Entries)
                {
                    if (!obj.TryGetPropertyValue(key.Value, out var child))
                    {
                        continue;
                    }

                    if (stringMaps.Contains(key.Value) && child is JsonObject map && value is MappingNode entries)
                    {
                        foreach (var (entryKey, entryValue) in entries.Entries)
                        {
                            if (entryValue is ScalarNode { Kind: ScalarKind.Integer or ScalarKind.Float or ScalarKind.Boolean } scalar
                                && map.TryGetPropertyValue(entryKey.Value, out var typed) && typed is JsonValue)
                            {
                                map[entryKey.Value] = scalar.Value;
                            }
                        }
                    }

                    RestoreText(child, value, stringMaps);
                }

                break;
            case (JsonArray array, SequenceNode sequence):
                for (var i = 0; i < array.Count && i < sequence.Items.Count; i++)
                {
                    RestoreText(array[i], sequence.Items[i], stringMaps);
                }

                break;
        }
    }

    private static JsonNode? Typed(ScalarNode scalar)
    {
        switch (scalar.Kind)
        {
            case ScalarKind.Null:
                return null;
            case ScalarKind.Boolean:
                return JsonValue.Create(YamlScalars.ParseBoolean(scalar.Value));
            case ScalarKind.Integer:
                var integer = YamlScalars.ParseInteger(scalar.Value);
                return integer is { } i ? ManifestJson.Integer(i) : FloatOrString(scalar.Value);
            case ScalarKind.Float:
                return FloatOrString(scalar.Value);
            default:
                return JsonValue.Create(scalar.Value);
        }
    }

    private static JsonValue FloatOrString(string text)
    {
        try
        {
            return ManifestJson.Float(YamlScalars.ParseFloat(text));
        }
        catch (FormatException)
        {
            return JsonValue.Create(text);
        }
        catch (OverflowException)
        {
            return JsonValue.Create(text);
        }
    }
}
