using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using GitOrch.Core.Loading;

namespace GitOrch.Core.Schema;

/// <summary>
/// A kind's JSON Schema compiled once into checks that run on the positioned YAML tree itself:
/// the fast path of <see cref="SchemaValidator"/>. It answers only "valid" or "not shown valid":
/// JsonSchema.Net decides every document this does not pass, and words the findings. So it must
/// never pass what JsonSchema.Net would fail, and it is built to say "not shown valid" wherever it
/// is not sure: a keyword it does not know (the whole subschema then passes nothing), a number that
/// is not a 64-bit integer, a string outside printable ASCII (where regular expression dialects and
/// the ways of counting characters differ), an <c>items</c> list, a <c>$ref</c> beside other
/// keywords. A valid object is checked without building a JSON instance, evaluating the library's
/// schema objects or allocating anything.
/// </summary>
internal abstract class SchemaCheck
{
    /// <summary>Whether <paramref name="node"/> is valid against this subschema; false also means "not sure".</summary>
    public abstract bool Passes(SourceNode node);

    /// <summary>The checks of every raw schema (file name → root object), with <c>$ref</c> resolved across them.</summary>
    public static IReadOnlyDictionary<string, SchemaCheck> CompileAll(IReadOnlyDictionary<string, JsonObject> raw)
    {
        var compiler = new Compiler(raw);
        return raw.Keys.ToDictionary(file => file, file => compiler.At(file, string.Empty), StringComparer.Ordinal);
    }

    /// <summary>A scalar's JSON type as <see cref="SchemaValidator"/> writes the instance; null when this check cannot be sure of it.</summary>
    private static JsonType? TypeOf(SourceNode node) => node switch
    {
        MappingNode => JsonType.Object,
        SequenceNode => JsonType.Array,
        ScalarNode { Kind: ScalarKind.Null } => JsonType.Null,
        ScalarNode { Kind: ScalarKind.Boolean } => JsonType.Boolean,
        ScalarNode { Kind: ScalarKind.String } => JsonType.String,
        ScalarNode { Kind: ScalarKind.Integer } s when YamlScalars.ParseInteger(s.Value) is { } i && Math.Abs(i) <= MaxExact => JsonType.Integer,
        _ => null, // floats, integers past 64 bits or past exact doubles: JsonSchema.Net decides
    };

    private const long MaxExact = 1L << 53;

    /// <summary>Printable ASCII only: no dialect of regular expressions or of string length disagrees on these.</summary>
    private static bool PlainAscii(string value)
    {
        foreach (var c in value)
        {
            if (c is < ' ' or > '~')
            {
                return false;
            }
        }

        return true;
    }

    [Flags]
    private enum JsonType
    {
        Null = 1,
        Boolean = 2,
        Integer = 4,
        Number = 8,
        String = 16,
        Array = 32,
        Object = 64,
    }

    /// <summary>Passes nothing: a subschema this check does not understand, or the <c>false</c> schema.</summary>
    private sealed class Never : SchemaCheck
    {
        public static readonly Never Instance = new();

        public override bool Passes(SourceNode node) => false;
    }

    /// <summary>The <c>true</c> schema, or one of annotations only.</summary>
    private sealed class Always : SchemaCheck
    {
        public static readonly Always Instance = new();

        public override bool Passes(SourceNode node) => true;
    }

    /// <summary>A <c>$ref</c>, bound once its target is compiled (targets may refer back).</summary>
    private sealed class Reference : SchemaCheck
    {
        public SchemaCheck Target { get; set; } = Never.Instance;

        public override bool Passes(SourceNode node) => Target.Passes(node);
    }

    /// <summary>A subschema of the keywords this check knows, each applied to the instance types it applies to.</summary>
    private sealed class Keywords : SchemaCheck
    {
        public JsonType? Types { get; init; }

        public Dictionary<string, SchemaCheck>? Properties { get; init; }

        /// <summary>For names not in <see cref="Properties"/>; null when any is allowed.</summary>
        public SchemaCheck? Additional { get; init; }

        public string[] Required { get; init; } = [];

        public SchemaCheck? PropertyNames { get; init; }

        public JsonNode?[]? Enum { get; init; }

        public Regex? Pattern { get; init; }

        public int? MinLength { get; init; }

        public int? MaxLength { get; init; }

        public double? Minimum { get; init; }

        public double? Maximum { get; init; }

        public double? ExclusiveMinimum { get; init; }

        public double? ExclusiveMaximum { get; init; }

        public SchemaCheck? Items { get; init; }

        public int? MinItems { get; init; }

        public int? MaxItems { get; init; }

        public bool UniqueItems { get; init; }

        public override bool Passes(SourceNode node)
        {
            if (TypeOf(node) is not { } type)
            {
                return false;
            }

            if (Types is { } allowed && (allowed & (type == JsonType.Integer ? JsonType.Integer | JsonType.Number : type)) == 0)
            {
                return false;
            }

            if (Enum is not null && !InEnum(node, type))
            {
                return false;
            }

            return type switch
            {
                JsonType.Object => PassesObject((MappingNode)node),
                JsonType.Array => PassesArray((SequenceNode)node),
                JsonType.String => PassesString(((ScalarNode)node).Value),
                JsonType.Integer => PassesNumber(YamlScalars.ParseInteger(((ScalarNode)node).Value)!.Value),
                _ => true,
            };
        }

        private bool PassesObject(MappingNode mapping)
        {
            foreach (var name in Required)
            {
                if (mapping.Entry(name) is null)
                {
                    return false;
                }
            }

            var entries = mapping.Entries;
            for (var i = 0; i < entries.Count; i++)
            {
                var (key, value) = entries[i];
                if (PropertyNames is not null && !PropertyNames.Passes(key.Kind == ScalarKind.String ? key : new ScalarNode(key.Line, key.Column, key.Value, ScalarKind.String)))
                {
                    return false;
                }

                var check = Properties is not null && Properties.TryGetValue(key.Value, out var property) ? property : Additional;
                if (check is not null && !check.Passes(value))
                {
                    return false;
                }
            }

            return true;
        }

        private bool PassesArray(SequenceNode sequence)
        {
            var items = sequence.Items;
            if (items.Count < (MinItems ?? 0) || items.Count > (MaxItems ?? int.MaxValue))
            {
                return false;
            }

            if (Items is not null)
            {
                for (var i = 0; i < items.Count; i++)
                {
                    if (!Items.Passes(items[i]))
                    {
                        return false;
                    }
                }
            }

            if (UniqueItems)
            {
                // Strings only (the lists our schemas keep unique); anything else is for JsonSchema.Net.
                for (var i = 0; i < items.Count; i++)
                {
                    if (items[i] is not ScalarNode { Kind: ScalarKind.String } a)
                    {
                        return false;
                    }

                    for (var j = 0; j < i; j++)
                    {
                        if (((ScalarNode)items[j]).Value == a.Value)
                        {
                            return false;
                        }
                    }
                }
            }

            return true;
        }

        private bool PassesString(string value)
        {
            if (!PlainAscii(value))
            {
                return Pattern is null && MinLength is null && MaxLength is null && Enum is null;
            }

            return value.Length >= (MinLength ?? 0)
                && value.Length <= (MaxLength ?? int.MaxValue)
                && (Pattern is null || Pattern.IsMatch(value));
        }

        private bool PassesNumber(long value) =>
            (Minimum is not { } min || value >= min)
            && (Maximum is not { } max || value <= max)
            && (ExclusiveMinimum is not { } xmin || value > xmin)
            && (ExclusiveMaximum is not { } xmax || value < xmax);

        private bool InEnum(SourceNode node, JsonType type)
        {
            foreach (var allowed in Enum!)
            {
                if (EqualsJson(node, type, allowed))
                {
                    return true;
                }
            }

            return false;
        }

        private static bool EqualsJson(SourceNode node, JsonType type, JsonNode? allowed) => (type, allowed) switch
        {
            (JsonType.Null, null) => true,
            (JsonType.String, JsonValue v) when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>() == ((ScalarNode)node).Value,
            (JsonType.Boolean, JsonValue v) when v.GetValueKind() is JsonValueKind.True or JsonValueKind.False =>
                v.GetValue<bool>() == YamlScalars.ParseBoolean(((ScalarNode)node).Value),
            (JsonType.Integer, JsonValue v) when v.GetValueKind() == JsonValueKind.Number && v.TryGetValue<long>(out var n) =>
                n == YamlScalars.ParseInteger(((ScalarNode)node).Value),
            _ => false,
        };
    }

    /// <summary>Compiles raw schema objects; each location once, so shared definitions are shared checks.</summary>
    private sealed class Compiler(IReadOnlyDictionary<string, JsonObject> raw)
    {
        private static readonly HashSet<string> Annotations = new(StringComparer.Ordinal)
        {
            "$schema", "$comment", "title", "description", "default", "examples", "definitions",
        };

        private readonly Dictionary<(string File, string Pointer), Reference> _compiled = [];
        private readonly Dictionary<string, Regex> _patterns = new(StringComparer.Ordinal);

        /// <summary>The check at a JSON Pointer ("" for the root) in a file.</summary>
        public SchemaCheck At(string file, string pointer)
        {
            if (_compiled.TryGetValue((file, pointer), out var known))
            {
                return known;
            }

            var reference = new Reference();
            _compiled[(file, pointer)] = reference;
            var node = raw.TryGetValue(file, out var root) ? SchemaRegistry.At(root, pointer) : null;
            reference.Target = node is null ? Never.Instance : Compile(file, node, isRoot: pointer.Length == 0);
            return reference;
        }

        private SchemaCheck Compile(string file, JsonNode node, bool isRoot)
        {
            if (node is JsonValue boolean && boolean.GetValueKind() is JsonValueKind.True or JsonValueKind.False)
            {
                return boolean.GetValue<bool>() ? Always.Instance : Never.Instance;
            }

            if (node is not JsonObject schema)
            {
                return Never.Instance;
            }

            var keywords = schema.Where(p => !Annotations.Contains(p.Key) && !p.Key.StartsWith("x-", StringComparison.Ordinal) && !(isRoot && p.Key == "$id"))
                .ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal);
            if (keywords.Count == 0)
            {
                return Always.Instance;
            }

            if (keywords.TryGetValue("$ref", out var refValue))
            {
                // Draft-07 ignores a $ref's siblings; whether a library does too is not this check's bet.
                return keywords.Count == 1 && Text(refValue) is { } target ? Resolve(file, target) : Never.Instance;
            }

            try
            {
                return Build(file, keywords);
            }
            catch (NotSupportedException)
            {
                return Never.Instance;
            }
        }

        private SchemaCheck Resolve(string file, string reference)
        {
            var (target, pointer) = SchemaRegistry.SplitReference(reference);
            if (target.Length > 0)
            {
                // Our schemas refer to each other by file name beside their own $id; anything else is not ours to follow.
                if (target.Contains(':', StringComparison.Ordinal) || target.Contains('/', StringComparison.Ordinal) || !raw.ContainsKey(target))
                {
                    return Never.Instance;
                }

                file = target;
            }

            return At(file, pointer);
        }

        private Keywords Build(string file, Dictionary<string, JsonNode?> keywords)
        {
            JsonType? types = null;
            Dictionary<string, SchemaCheck>? properties = null;
            SchemaCheck? additional = null;
            string[] required = [];
            SchemaCheck? propertyNames = null;
            JsonNode?[]? enumValues = null;
            Regex? pattern = null;
            int? minLength = null, maxLength = null, minItems = null, maxItems = null;
            double? minimum = null, maximum = null, exclusiveMinimum = null, exclusiveMaximum = null;
            SchemaCheck? items = null;
            var unique = false;
            foreach (var (keyword, value) in keywords)
            {
                switch (keyword)
                {
                    case "type":
                        types = value is JsonArray list ? list.Select(TypeNamed).Aggregate((JsonType)0, (a, t) => a | t) : TypeNamed(value);
                        break;
                    case "properties":
                        properties = (value as JsonObject ?? throw new NotSupportedException()).ToDictionary(
                            p => p.Key, p => p.Value is null ? throw new NotSupportedException() : Compile(file, p.Value, isRoot: false), StringComparer.Ordinal);
                        break;
                    case "additionalProperties":
                        additional = value is null ? throw new NotSupportedException() : Compile(file, value, isRoot: false);
                        break;
                    case "required":
                        required = [.. (value as JsonArray ?? throw new NotSupportedException()).Select(n => Text(n) ?? throw new NotSupportedException())];
                        break;
                    case "propertyNames":
                        propertyNames = value is null ? throw new NotSupportedException() : Compile(file, value, isRoot: false);
                        break;
                    case "enum":
                        enumValues = [.. value as JsonArray ?? throw new NotSupportedException()];
                        break;
                    case "pattern":
                        var text = Text(value) ?? throw new NotSupportedException();
                        if (!_patterns.TryGetValue(text, out pattern))
                        {
                            _patterns[text] = pattern = new Regex(SchemaRegistry.EndAnchored(text), RegexOptions.CultureInvariant);
                        }

                        break;
                    case "minLength":
                        minLength = Count(value);
                        break;
                    case "maxLength":
                        maxLength = Count(value);
                        break;
                    case "minItems":
                        minItems = Count(value);
                        break;
                    case "maxItems":
                        maxItems = Count(value);
                        break;
                    case "minimum":
                        minimum = Number(value);
                        break;
                    case "maximum":
                        maximum = Number(value);
                        break;
                    case "exclusiveMinimum":
                        exclusiveMinimum = Number(value);
                        break;
                    case "exclusiveMaximum":
                        exclusiveMaximum = Number(value);
                        break;
                    case "items":
                        // A list of schemas (tuple form) is for JsonSchema.Net.
                        items = value is JsonArray or null ? throw new NotSupportedException() : Compile(file, value, isRoot: false);
                        break;
                    case "uniqueItems":
                        unique = value is JsonValue u && u.GetValueKind() is JsonValueKind.True or JsonValueKind.False
                            ? u.GetValue<bool>()
                            : throw new NotSupportedException();
                        break;
                    default:
                        throw new NotSupportedException(); // a keyword this check does not know
                }
            }

            return new Keywords
            {
                Types = types,
                Properties = properties,
                Additional = additional,
                Required = required,
                PropertyNames = propertyNames,
                Enum = enumValues,
                Pattern = pattern,
                MinLength = minLength,
                MaxLength = maxLength,
                Minimum = minimum,
                Maximum = maximum,
                ExclusiveMinimum = exclusiveMinimum,
                ExclusiveMaximum = exclusiveMaximum,
                Items = items,
                MinItems = minItems,
                MaxItems = maxItems,
                UniqueItems = unique,
            };
        }

        private static JsonType TypeNamed(JsonNode? name) => Text(name) switch
        {
            "null" => JsonType.Null,
            "boolean" => JsonType.Boolean,
            "integer" => JsonType.Integer,
            "number" => JsonType.Number,
            "string" => JsonType.String,
            "array" => JsonType.Array,
            "object" => JsonType.Object,
            _ => throw new NotSupportedException(),
        };

        private static string? Text(JsonNode? node) =>
            node is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : null;

        private static int Count(JsonNode? node) =>
            node is JsonValue v && v.GetValueKind() == JsonValueKind.Number && v.TryGetValue<int>(out var n) && n >= 0 ? n : throw new NotSupportedException();

        private static double Number(JsonNode? node) =>
            node is JsonValue v && v.GetValueKind() == JsonValueKind.Number && v.TryGetValue<double>(out var n) && double.IsFinite(n)
                ? n
                : throw new NotSupportedException();
    }
}
