using System.Globalization;
using System.Reflection;
using System.Text.Json.Nodes;
using Json.Schema;

namespace GitOrch.Core.Schema;

/// <summary>
/// The JSON Schemas of schema/, embedded in this assembly: one per kind, all compiled once, the
/// first time any is needed, into one registry so that <c>$ref</c> resolves across files
/// ("pod.schema.json#/definitions/metadata"): as fast checks (<see cref="SchemaCheck"/>), and as
/// JsonSchema.Net's schemas for the documents those do not pass.
/// </summary>
public static class SchemaRegistry
{
    private const string Prefix = "schema/";
    private const string Suffix = ".schema.json";

    private static readonly Lazy<Compiled> All = new(Compile);

    /// <summary>The resource name of a kind's schema ("schema/pod.schema.json").</summary>
    public static string ResourceName(string kind) => $"{Prefix}{kind.ToLowerInvariant()}{Suffix}";

    /// <summary>The schema's text, as shipped.</summary>
    public static string Text(string kind) => ReadResource(ResourceName(kind));

    /// <summary>
    /// The compiled schema of a kind, as JsonSchema.Net builds it: the authority on every document
    /// <see cref="Check"/> does not pass, and the source of every finding's wording. Built the first
    /// time a document needs it (a load of valid files never does).
    /// </summary>
    public static JsonSchema Schema(string kind) =>
        All.Value.Schemas.Value.TryGetValue(kind.ToLowerInvariant(), out var schema)
            ? schema
            : throw new InvalidOperationException($"no embedded schema for kind {kind}");

    /// <summary>The kind's schema compiled into the fast checks of <see cref="SchemaCheck"/>.</summary>
    internal static SchemaCheck Check(string kind) =>
        All.Value.Checks.TryGetValue(kind.ToLowerInvariant() + Suffix, out var check)
            ? check
            : throw new InvalidOperationException($"no embedded schema for kind {kind}");

    /// <summary>Compiles every schema's checks now (a command that will validate pays it up front, once).</summary>
    public static void CompileAll() => _ = All.Value;

    public static IEnumerable<string> EmbeddedKinds() =>
        typeof(SchemaRegistry).Assembly.GetManifestResourceNames()
            .Where(n => n.StartsWith(Prefix, StringComparison.Ordinal) && n.EndsWith(Suffix, StringComparison.Ordinal))
            .Select(n => n[Prefix.Length..^Suffix.Length]);

    /// <summary>
    /// The raw schema object at a keyword path from a kind's root ("properties", "spec", "$ref", …),
    /// following <c>$ref</c> segments into whichever file they point at. Null when the path leaves the schema.
    /// </summary>
    internal static JsonObject? RawAt(string kind, IReadOnlyList<string> keywordPath)
    {
        var compiled = All.Value;
        var file = kind.ToLowerInvariant() + Suffix;
        JsonNode? node = compiled.Raw[file];
        foreach (var segment in keywordPath)
        {
            if (segment == "$ref")
            {
                if (node?["$ref"]?.GetValue<string>() is not { } reference)
                {
                    return null;
                }

                (file, node) = Resolve(compiled, file, reference);
            }
            else
            {
                node = node switch
                {
                    JsonObject o => o[segment],
                    JsonArray a when int.TryParse(segment, NumberStyles.None, CultureInfo.InvariantCulture, out var i) && i < a.Count => a[i],
                    _ => null,
                };
            }

            if (node is null)
            {
                return null;
            }
        }

        return node as JsonObject;
    }

    private static (string File, JsonNode? Node) Resolve(Compiled compiled, string file, string reference)
    {
        var (target, pointer) = SplitReference(reference);
        if (target.Length > 0)
        {
            file = target[(target.LastIndexOf('/') + 1)..];
        }

        return (file, compiled.Raw.TryGetValue(file, out var root) ? At(root, pointer) : null);
    }

    /// <summary>A <c>$ref</c> as its document ("" for the same file) and the JSON Pointer after its '#'.</summary>
    internal static (string Target, string Pointer) SplitReference(string reference)
    {
        var hash = reference.IndexOf('#', StringComparison.Ordinal);
        return hash < 0 ? (reference, string.Empty) : (reference[..hash], reference[(hash + 1)..]);
    }

    /// <summary>The schema object at a JSON Pointer ("" for the root) below <paramref name="root"/>, or null.</summary>
    internal static JsonNode? At(JsonNode? root, string pointer)
    {
        var node = root;
        foreach (var segment in pointer.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            node = node is JsonObject o ? o[Unescape(segment)] : null;
        }

        return node;
    }

    internal static string Unescape(string segment) =>
        segment.Contains('~', StringComparison.Ordinal) ? segment.Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal) : segment;

    private static Compiled Compile()
    {
        var texts = EmbeddedKinds().ToDictionary(k => k, k => ReadResource(Prefix + k + Suffix), StringComparer.Ordinal);
        var raw = texts.ToDictionary(t => t.Key + Suffix, t => JsonNode.Parse(t.Value)!.AsObject(), StringComparer.Ordinal);

        // JsonSchema.Net gets the schemas with their patterns' end anchors made .NET's own (see EndAnchored).
        var forLibrary = raw.ToDictionary(r => r.Key[..^Suffix.Length], r => EndAnchored(r.Value.DeepClone()).ToJsonString(), StringComparer.Ordinal);
        return new Compiled(new Lazy<IReadOnlyDictionary<string, JsonSchema>>(() => Build(forLibrary)), raw, SchemaCheck.CompileAll(raw));
    }

    /// <summary>
    /// A schema's <c>pattern</c>s are ECMA-262 expressions, where a final <c>$</c> matches only at
    /// the end. .NET's <c>$</c> also matches before a final newline, so "web\n" would pass a name's
    /// pattern; in-process every final <c>$</c> becomes <c>\z</c>. The files in schema/ stay
    /// portable for editors and other validators.
    /// </summary>
    internal static string EndAnchored(string pattern)
    {
        var backslashes = pattern.Length - 1 - pattern.AsSpan(0, Math.Max(0, pattern.Length - 1)).TrimEnd('\\').Length;
        return pattern.EndsWith('$') && backslashes % 2 == 0 ? pattern[..^1] + "\\z" : pattern;
    }

    private static JsonNode EndAnchored(JsonNode node)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var (key, value) in obj.ToList())
                {
                    if (key == "pattern" && value is JsonValue v && v.GetValueKind() == System.Text.Json.JsonValueKind.String)
                    {
                        obj[key] = EndAnchored(v.GetValue<string>());
                    }
                    else if (value is not null)
                    {
                        EndAnchored(value);
                    }
                }

                break;
            case JsonArray list:
                foreach (var item in list.OfType<JsonNode>())
                {
                    EndAnchored(item);
                }

                break;
        }

        return node;
    }

    private static Dictionary<string, JsonSchema> Build(Dictionary<string, string> texts)
    {
        var registry = new Json.Schema.SchemaRegistry();
        var options = new BuildOptions { SchemaRegistry = registry };
        // The pod schema first: the others refer into its definitions.
        var schemas = new Dictionary<string, JsonSchema>(StringComparer.Ordinal);
        foreach (var (kind, text) in texts.OrderBy(t => t.Key == "pod" ? 0 : 1).ThenBy(t => t.Key, StringComparer.Ordinal))
        {
            schemas[kind] = JsonSchema.FromText(text, options);
        }

        return schemas;
    }

    private static string ReadResource(string name)
    {
        using var stream = Assembly.GetManifestResourceStream(name)
            ?? throw new InvalidOperationException($"no embedded schema {name}");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    internal static Assembly Assembly => typeof(SchemaRegistry).Assembly;

    private sealed record Compiled(Lazy<IReadOnlyDictionary<string, JsonSchema>> Schemas, IReadOnlyDictionary<string, JsonObject> Raw, IReadOnlyDictionary<string, SchemaCheck> Checks);
}
