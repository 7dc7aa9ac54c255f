using System.Collections.Concurrent;
using System.Reflection;
using NJsonSchema;
using Newtonsoft.Json.Linq;

namespace GitOrch.Core.Schema;

/// <summary>
/// The JSON Schemas of schema/, embedded in this assembly: one per kind, loaded once.
/// </summary>
public static class SchemaRegistry
{
    private static readonly ConcurrentDictionary<string, Lazy<(JsonSchema Schema, JObject Raw)>> Cache = new(StringComparer.Ordinal);

    /// <summary>The resource name of a kind's schema ("schema/pod.schema.json").</summary>
    public static string ResourceName(string kind) => $"schema/{kind.ToLowerInvariant()}.schema.json";

    /// <summary>The schema's text, as shipped.</summary>
    public static string Text(string kind)
    {
        using var stream = typeof(SchemaRegistry).Assembly.GetManifestResourceStream(ResourceName(kind))
            ?? throw new InvalidOperationException($"no embedded schema for kind {kind}");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    public static JsonSchema Schema(string kind) => Get(kind).Schema;

    /// <summary>The schema as plain JSON, for the checks NJsonSchema does not implement (propertyNames).</summary>
    public static JObject Raw(string kind) => Get(kind).Raw;

    public static IEnumerable<string> EmbeddedKinds() =>
        typeof(SchemaRegistry).Assembly.GetManifestResourceNames()
            .Where(n => n.StartsWith("schema/", StringComparison.Ordinal))
            .Select(n => n["schema/".Length..^".schema.json".Length]);

    private static (JsonSchema Schema, JObject Raw) Get(string kind) =>
        Cache.GetOrAdd(kind, k => new Lazy<(JsonSchema, JObject)>(() =>
        {
            var text = Text(k);
            var schema = JsonSchema.FromJsonAsync(text).GetAwaiter().GetResult();
            return (schema, JObject.Parse(text));
        })).Value;

    internal static Assembly Assembly => typeof(SchemaRegistry).Assembly;
}
