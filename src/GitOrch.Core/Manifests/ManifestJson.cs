using System.Globalization;
using Newtonsoft.Json;
using Newtonsoft.Json.Converters;
using Newtonsoft.Json.Serialization;

namespace GitOrch.Core.Manifests;

/// <summary>How manifests bind to and render from JSON: camelCase fields, enum names as written in YAML.</summary>
public static class ManifestJson
{
    public static JsonSerializerSettings Settings { get; } = new()
    {
        ContractResolver = new DefaultContractResolver { NamingStrategy = new CamelCaseNamingStrategy { ProcessDictionaryKeys = false } },
        Converters = { new StringEnumConverter(), new LenientStringConverter() },
        NullValueHandling = NullValueHandling.Ignore,
        // The schema is the strict gate; binding ignores what records do not model (status, for one).
        MissingMemberHandling = MissingMemberHandling.Ignore,
    };

    public static JsonSerializer Serializer { get; } = JsonSerializer.Create(Settings);

    /// <summary>How object JSON is written (System.Text.Json): compact, escaping only what JSON needs.</summary>
    public static System.Text.Json.JsonSerializerOptions Options { get; } = new()
    {
        Encoder = ManifestJsonEncoder.Instance,
    };

    /// <summary>
    /// Parses stored or received object JSON. Strings stay strings: a timestamp in status is not
    /// turned into a DateTime (which would compare unequal to the string it came from, so every
    /// write looked like a change, and render in the machine's date format).
    /// </summary>
    public static Newtonsoft.Json.Linq.JObject Parse(string json)
    {
        using var reader = new JsonTextReader(new StringReader(json)) { DateParseHandling = DateParseHandling.None };
        return Newtonsoft.Json.Linq.JObject.Load(reader);
    }

    /// <summary>As <see cref="Parse"/>, for any JSON value.</summary>
    public static Newtonsoft.Json.Linq.JToken ParseToken(string json)
    {
        using var reader = new JsonTextReader(new StringReader(json)) { DateParseHandling = DateParseHandling.None };
        return Newtonsoft.Json.Linq.JToken.ReadFrom(reader);
    }

    /// <summary>Reads numbers and booleans into string fields as YAML writes them (true, 8080), not .NET's "True".</summary>
    private sealed class LenientStringConverter : JsonConverter<string>
    {
        public override string? ReadJson(JsonReader reader, Type objectType, string? existingValue, bool hasExistingValue, JsonSerializer serializer) =>
            reader.TokenType switch
            {
                JsonToken.Null => null,
                JsonToken.Boolean => (bool)reader.Value! ? "true" : "false",
                JsonToken.Integer or JsonToken.Float => Convert.ToString(reader.Value, CultureInfo.InvariantCulture),
                JsonToken.String => (string?)reader.Value,
                _ => throw new JsonSerializationException($"expected a string, found {reader.TokenType}"),
            };

        public override void WriteJson(JsonWriter writer, string? value, JsonSerializer serializer) => writer.WriteValue(value);
    }
}
