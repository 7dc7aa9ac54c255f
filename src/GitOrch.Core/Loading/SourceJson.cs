using System.Buffers;
using System.Text.Json;
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
    /// A document as the compact JSON a loaded object keeps and the store writes (UTF-8), in one
    /// pass over the tree: what <see cref="ToJson"/> gives, written with
    /// <see cref="ManifestJson.Options"/>, except that the numbers and booleans of string-valued
    /// maps (<paramref name="stringMaps"/>: env, sysctls) keep the text they were written with:
    /// <c>V: 1.10</c> means "1.10", not 1.1.
    /// </summary>
    public static byte[] WriteStored(SourceNode root, IReadOnlySet<string> stringMaps)
    {
        var buffer = new ArrayBufferWriter<byte>(1024);
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            Write(writer, root, WriteTyped, stringMaps);
        }

        return buffer.WrittenSpan.ToArray();
    }

    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = ManifestJson.Options.Encoder };

    /// <summary>
    /// Writes a tree as JSON, each scalar as <paramref name="scalar"/> types it, except that the
    /// numbers and booleans of the maps under a key in <paramref name="stringMaps"/> are written as
    /// their text. The one walk for the stored JSON and the JSON Schema instance.
    /// </summary>
    internal static void Write(Utf8JsonWriter writer, SourceNode node, Action<Utf8JsonWriter, ScalarNode> scalar, IReadOnlySet<string>? stringMaps = null) =>
        Write(writer, node, scalar, stringMaps, textValues: false);

    /// <param name="textValues">Whether <paramref name="node"/> is a string-valued map: its scalar values are written as their text.</param>
    private static void Write(Utf8JsonWriter writer, SourceNode node, Action<Utf8JsonWriter, ScalarNode> scalar, IReadOnlySet<string>? stringMaps, bool textValues)
    {
        switch (node)
        {
            case MappingNode mapping:
                writer.WriteStartObject();
                foreach (var (key, value) in mapping.Entries)
                {
                    writer.WritePropertyName(key.Value);
                    if (textValues && value is ScalarNode { Kind: ScalarKind.Integer or ScalarKind.Float or ScalarKind.Boolean } text)
                    {
                        writer.WriteStringValue(text.Value);
                    }
                    else
                    {
                        Write(writer, value, scalar, stringMaps, textValues: value is MappingNode && stringMaps is not null && stringMaps.Contains(key.Value));
                    }
                }

                writer.WriteEndObject();
                break;
            case SequenceNode sequence:
                writer.WriteStartArray();
                foreach (var item in sequence.Items)
                {
                    Write(writer, item, scalar, stringMaps, textValues: false);
                }

                writer.WriteEndArray();
                break;
            case ScalarNode value:
                scalar(writer, value);
                break;
            default:
                writer.WriteNullValue();
                break;
        }
    }

    private static void WriteTyped(Utf8JsonWriter writer, ScalarNode scalar)
    {
        switch (YamlScalars.Typed(scalar))
        {
            case null:
                writer.WriteNullValue();
                break;
            case bool b:
                writer.WriteBooleanValue(b);
                break;
            case long l:
                writer.WriteNumberValue(l);
                break;
            case double d when ManifestJson.FiniteFloatText(d) is { } text:
                writer.WriteRawValue(text, skipInputValidation: true);
                break;
            case double d:
                writer.WriteStringValue(ManifestJson.NonFiniteText(d));
                break;
            case var text:
                writer.WriteStringValue((string)text);
                break;
        }
    }

    private static JsonNode? Typed(ScalarNode scalar) => YamlScalars.Typed(scalar) switch
    {
        null => null,
        bool b => JsonValue.Create(b),
        long l => ManifestJson.Integer(l),
        double d => ManifestJson.Float(d),
        var text => JsonValue.Create((string)text),
    };
}
