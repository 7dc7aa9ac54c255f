using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace GitOrch.Core.Manifests;

/// <summary>
/// How manifests bind to and render from JSON (System.Text.Json): camelCase fields, enum names as
/// written in YAML, compact output escaping only what JSON needs (<see cref="ManifestJsonEncoder"/>).
/// </summary>
public static class ManifestJson
{
    /// <summary>The one set of options for binding records and writing object JSON.</summary>
    public static JsonSerializerOptions Options { get; } = CreateOptions();

    // A key given twice is refused (JsonException): which of the two counts would be a guess.
    private static readonly JsonDocumentOptions DocumentOptions = new() { MaxDepth = 256, AllowDuplicateProperties = false };

    /// <summary>
    /// Parses stored or received object JSON. Strings stay strings (a timestamp in status stays the
    /// text it was written as) and numbers keep their text ("1.0" stays "1.0").
    /// </summary>
    public static JsonObject Parse(string json) =>
        ParseToken(json) as JsonObject ?? throw new JsonException("expected a JSON object");

    /// <summary>As <see cref="Parse(string)"/>, from UTF-8.</summary>
    public static JsonObject Parse(ReadOnlySpan<byte> utf8Json) =>
        JsonNode.Parse(utf8Json, documentOptions: DocumentOptions) as JsonObject ?? throw new JsonException("expected a JSON object");

    /// <summary>As <see cref="Parse(string)"/>, for any JSON value (null for the JSON literal null).</summary>
    public static JsonNode? ParseToken(string json) => JsonNode.Parse(json, documentOptions: DocumentOptions);

    /// <summary>A node as compact JSON, written as stored versions are.</summary>
    public static string Write(this JsonNode? node) => node?.ToJsonString(Options) ?? "null";

    /// <summary>Binds a node to a record as the loader does (null for a missing or null node).</summary>
    public static T? Bind<T>(this JsonNode? node) => node is null ? default : node.Deserialize<T>(Options);

    /// <summary>As <see cref="Bind{T}"/>, for a type known at run time.</summary>
    public static object? Bind(this JsonNode? node, Type type) => node?.Deserialize(type, Options);

    /// <summary>A value (a map of labels, a record) as a JSON object, written with <see cref="Options"/>.</summary>
    public static JsonObject ObjectOf<T>(T value)
        where T : notnull => JsonSerializer.SerializeToNode(value, value.GetType(), Options)!.AsObject();

    /// <summary>Values (strings, numbers) as a JSON array, written with <see cref="Options"/>.</summary>
    public static JsonArray ArrayOf<T>(IEnumerable<T> items) => JsonSerializer.SerializeToNode(items.ToList(), Options)!.AsArray();

    /// <summary>
    /// A floating-point value written as stored JSON has always had it: shortest round-trip text
    /// with a decimal point (<c>1.0</c>, <c>1.5</c>, <c>1E+20</c>); NaN and infinities as strings.
    /// </summary>
    public static JsonValue Float(double value)
    {
        if (FiniteFloatText(value) is not { } text)
        {
            return JsonValue.Create(NonFiniteText(value));
        }

        using var document = JsonDocument.Parse(text);
        return JsonValue.Create(document.RootElement.Clone())!;
    }

    /// <summary>The JSON number text of a finite float as stored (see <see cref="Float"/>); null for NaN and infinities.</summary>
    public static string? FiniteFloatText(double value)
    {
        if (!double.IsFinite(value))
        {
            return null;
        }

        var text = value.ToString("R", CultureInfo.InvariantCulture);
        return text.IndexOfAny(['.', 'E', 'e']) < 0 ? text + ".0" : text;
    }

    /// <summary>The string NaN and the infinities are stored as.</summary>
    public static string NonFiniteText(double value) => double.IsNaN(value) ? "NaN" : value > 0 ? "Infinity" : "-Infinity";

    /// <summary>
    /// An integer as parsed JSON holds it, so it reads back as any numeric type (<c>(int)</c>,
    /// <c>(long)</c>, <c>(double)</c>), as a parsed stored object's numbers do.
    /// </summary>
    public static JsonValue Integer(long value) => JsonValue.Create(JsonSerializer.SerializeToElement(value))!;

    /// <summary>The kind of a JSON value, with numbers told apart as integers and floats.</summary>
    public static JsonScalar ScalarKind(this JsonNode? node)
    {
        switch (node)
        {
            case null:
                return JsonScalar.Null;
            case JsonObject:
                return JsonScalar.Object;
            case JsonArray:
                return JsonScalar.Array;
        }

        var value = (JsonValue)node;
        switch (value.GetValueKind())
        {
            case JsonValueKind.String:
                return JsonScalar.String;
            case JsonValueKind.True or JsonValueKind.False:
                return JsonScalar.Boolean;
            case JsonValueKind.Null or JsonValueKind.Undefined:
                return JsonScalar.Null;
        }

        if (value.TryGetValue<JsonElement>(out var element))
        {
            return element.GetRawText().AsSpan().IndexOfAny(".eE") >= 0 ? JsonScalar.Float : JsonScalar.Integer;
        }

        return value.TryGetValue<double>(out _) || value.TryGetValue<float>(out _) || value.TryGetValue<decimal>(out _)
            ? JsonScalar.Float
            : JsonScalar.Integer;
    }

    /// <summary>A number's text as JSON writes it ("8080", "1.5").</summary>
    public static string NumberText(JsonValue value) => value.ToJsonString(Options);

    /// <summary>The value of an integer (JSON number without fraction or exponent); null for anything else.</summary>
    public static long? AsInteger(this JsonNode? node)
    {
        if (node.ScalarKind() != JsonScalar.Integer || node is not JsonValue value)
        {
            return null;
        }

        if (value.TryGetValue<long>(out var l))
        {
            return l;
        }

        if (value.TryGetValue<int>(out var i))
        {
            return i;
        }

        return value.TryGetValue<JsonElement>(out var e) && e.TryGetInt64(out var x) ? x : null;
    }

    /// <summary>A node and every node below it, depth first (null values left out).</summary>
    public static IEnumerable<JsonNode> DescendantsAndSelf(this JsonNode? node)
    {
        if (node is null)
        {
            yield break;
        }

        yield return node;
        IEnumerable<JsonNode?> children = node switch
        {
            JsonObject o => o.Select(p => p.Value),
            JsonArray a => a,
            _ => [],
        };
        foreach (var child in children)
        {
            foreach (var below in child.DescendantsAndSelf())
            {
                yield return below;
            }
        }
    }

    /// <summary>Whether an object has a property of that name, whatever its value (JSON null too).</summary>
    public static bool Has(this JsonNode? node, string name) => node is JsonObject obj && obj.ContainsKey(name);

    /// <summary>A scalar's text, as <c>(string)</c> read it before: strings as they are, numbers and booleans as written, null for null or missing.</summary>
    public static string? Text(this JsonNode? node) => node switch
    {
        null => null,
        JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
        JsonValue v when v.GetValueKind() is JsonValueKind.True or JsonValueKind.False => v.GetValueKind() == JsonValueKind.True ? "true" : "false",
        JsonValue v => v.ToJsonString(Options),
        _ => node.ToJsonString(Options),
    };

    private static JsonSerializerOptions CreateOptions()
    {
        var options = new JsonSerializerOptions
        {
            Encoder = ManifestJsonEncoder.Instance,
            PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
            PropertyNameCaseInsensitive = true,
            DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
            NumberHandling = JsonNumberHandling.AllowReadingFromString,
            // The schema is the strict gate; binding ignores what records do not model (status, for
            // one) and does not insist on members the schema already required.
            UnmappedMemberHandling = JsonUnmappedMemberHandling.Skip,
            MaxDepth = 256,
            TypeInfoResolver = new DefaultJsonTypeInfoResolver
            {
                Modifiers =
                {
                    static info =>
                    {
                        foreach (var property in info.Properties)
                        {
                            property.IsRequired = false;
                        }
                    },
                },
            },
            Converters = { new JsonStringEnumConverter(), new LenientStringConverter() },
        };
        options.MakeReadOnly();
        return options;
    }

    /// <summary>Reads numbers and booleans into string fields as YAML writes them (true, 8080), not .NET's "True".</summary>
    private sealed class LenientStringConverter : JsonConverter<string>
    {
        public override string? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            reader.TokenType switch
            {
                JsonTokenType.Null => null,
                JsonTokenType.True => "true",
                JsonTokenType.False => "false",
                JsonTokenType.Number when reader.TryGetInt64(out var integer) => integer.ToString(CultureInfo.InvariantCulture),
                JsonTokenType.Number when IsIntegerText(reader) => System.Text.Encoding.UTF8.GetString(reader.ValueSpan),
                JsonTokenType.Number => reader.GetDouble().ToString(CultureInfo.InvariantCulture),
                JsonTokenType.String => reader.GetString(),
                _ => throw new JsonException($"expected a string, found {reader.TokenType}"),
            };

        public override void Write(Utf8JsonWriter writer, string value, JsonSerializerOptions options) => writer.WriteStringValue(value);

        private static bool IsIntegerText(Utf8JsonReader reader) => reader.ValueSpan.IndexOfAny("."u8) < 0 && reader.ValueSpan.IndexOfAny("eE"u8) < 0;
    }
}

/// <summary>What a JSON value is, numbers told apart as integers and floats.</summary>
public enum JsonScalar
{
    Null,
    Boolean,
    Integer,
    Float,
    String,
    Object,
    Array,
}
