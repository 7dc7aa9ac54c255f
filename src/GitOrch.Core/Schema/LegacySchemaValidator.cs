using System.Globalization;
using System.Text.RegularExpressions;
using GitOrch.Core.Diagnostics;
using GitOrch.Core.Loading;
using NJsonSchema;
using NJsonSchema.Validation;
using Newtonsoft.Json.Linq;

namespace GitOrch.Core.Schema;

/// <summary>The NJsonSchema path, kept only to be measured against <see cref="SchemaValidator"/>.</summary>
public static class LegacySchemaValidator
{
    public static void Validate(
        string kind, JToken json, SourceDocument document, ObjectRef? obj, ICollection<Diagnostic> diagnostics)
    {
        var schema = Legacy(kind).Schema;
        var leaves = new List<ValidationError>();
        foreach (var error in schema.Validate(json))
        {
            Flatten(error, json, leaves);
        }

        var reported = new HashSet<(string, ValidationErrorKind)>();
        foreach (var error in leaves)
        {
            if (reported.Add((error.Path ?? string.Empty, error.Kind)))
            {
                diagnostics.Add(ToDiagnostic(error, json, document, obj));
            }
        }

        PropertyNameChecker.Check(Legacy(kind).Raw, json, document, obj, diagnostics);
    }

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, Lazy<(JsonSchema Schema, JObject Raw)>> Cache = new(StringComparer.Ordinal);

    /// <summary>Loads the schema the NJsonSchema way (with its cost, on first use).</summary>
    public static void Load(string kind) => _ = Legacy(kind);

    private static (JsonSchema Schema, JObject Raw) Legacy(string kind) =>
        Cache.GetOrAdd(kind, k => new Lazy<(JsonSchema, JObject)>(() =>
        {
            var text = SchemaRegistry.Text(k);
            return (JsonSchema.FromJsonAsync(text).GetAwaiter().GetResult(), JObject.Parse(text));
        })).Value;

    /// <summary>Keeps the errors that say something (not the "a child failed" wrappers).</summary>
    private static void Flatten(ValidationError error, JToken root, List<ValidationError> into)
    {
        switch (error)
        {
            case MultiTypeValidationError multi:
                // A value allowed several types (cpu: string or number). Report the branch of the
                // value's own type; if it has none, the type itself is wrong.
                var actual = TokenAt(root, error.Path);
                var branch = multi.Errors.FirstOrDefault(b => Matches(b.Key, actual));
                if (branch.Value is null)
                {
                    into.Add(error);
                    return;
                }

                foreach (var inner in branch.Value.Where(e => !IsTypeError(e.Kind)))
                {
                    Flatten(inner, root, into);
                }

                return;
            case ChildSchemaValidationError child:
                foreach (var inner in child.Errors.Values.SelectMany(e => e))
                {
                    Flatten(inner, root, into);
                }

                return;
            default:
                into.Add(error);
                return;
        }
    }

    private static bool Matches(JsonObjectType type, JToken? token) => token?.Type switch
    {
        JTokenType.String => type.HasFlag(JsonObjectType.String),
        JTokenType.Integer => type.HasFlag(JsonObjectType.Integer) || type.HasFlag(JsonObjectType.Number),
        JTokenType.Float => type.HasFlag(JsonObjectType.Number),
        JTokenType.Boolean => type.HasFlag(JsonObjectType.Boolean),
        JTokenType.Array => type.HasFlag(JsonObjectType.Array),
        JTokenType.Object => type.HasFlag(JsonObjectType.Object),
        _ => false,
    };

    private static bool IsTypeError(ValidationErrorKind kind) => kind is ValidationErrorKind.StringExpected
        or ValidationErrorKind.NumberExpected or ValidationErrorKind.IntegerExpected or ValidationErrorKind.BooleanExpected
        or ValidationErrorKind.ObjectExpected or ValidationErrorKind.ArrayExpected or ValidationErrorKind.NullExpected;

    private static Diagnostic ToDiagnostic(ValidationError error, JToken root, SourceDocument document, ObjectRef? obj)
    {
        var path = Clean(error.Path);
        var token = TokenAt(root, error.Path);
        var who = obj is null ? string.Empty : obj.Display + ": ";
        var field = path.Length == 0 ? "the document" : path;
        var located = NodeLocator.FindNearest(document.Root, path);
        var (line, column) = located.Position;
        var at = new SourceLocation(document.File, line, column);

        switch (error.Kind)
        {
            case ValidationErrorKind.NoAdditionalPropertiesAllowed:
            {
                var parent = Parent(path);
                var allowed = error.Schema?.ActualSchema.ActualProperties.Keys.Where(k => k != "status").ToList() ?? [];
                var suggestion = Suggest(error.Property, allowed);
                var where = parent.Length == 0 ? "at the top level" : $"in {parent}";
                var hint = suggestion is not null
                    ? $"did you mean \"{suggestion}\"?"
                    : allowed.Count > 0 ? $"remove it; allowed fields here: {string.Join(", ", allowed)}" : "remove it";
                return Diagnostic.Error(at, DiagnosticCodes.UnknownField, $"{who}unknown field \"{error.Property}\" {where}; {hint}", obj);
            }

            case ValidationErrorKind.PropertyRequired:
            {
                var parent = Parent(path);
                var where = parent.Length == 0 ? "the document" : parent;
                return Diagnostic.Error(at, DiagnosticCodes.MissingField,
                    $"{who}{where} is missing the required field \"{error.Property}\"; add it", obj);
            }

            case ValidationErrorKind.NotInEnumeration:
            {
                var values = error.Schema?.ActualSchema.Enumeration.Select(v => Convert.ToString(v, CultureInfo.InvariantCulture)) ?? [];
                var list = string.Join(", ", values);
                var suggestion = token?.Type == JTokenType.String ? Suggest((string?)token, values.OfType<string>().ToList()) : null;
                var hint = suggestion is not null ? $"did you mean \"{suggestion}\"? (allowed: {list})" : $"use one of: {list}";
                return Diagnostic.Error(at, DiagnosticCodes.NotAllowedValue,
                    $"{who}{field} is {SourceJson.Show(token)}, which is not allowed; {hint}", obj);
            }

            case ValidationErrorKind.PatternMismatch:
            {
                var hint = Hint(error.Schema) ?? $"a value matching {error.Schema?.ActualSchema.Pattern}";
                return Diagnostic.Error(at, DiagnosticCodes.BadFormat,
                    $"{who}{field} is {SourceJson.Show(token)}, which is not {hint}; change it to that form", obj);
            }

            case ValidationErrorKind.NumberTooBig or ValidationErrorKind.IntegerTooBig:
                return Diagnostic.Error(at, DiagnosticCodes.OutOfRange,
                    $"{who}{field} is {SourceJson.Show(token)}; it must be at most {error.Schema?.ActualSchema.Maximum}", obj);

            case ValidationErrorKind.NumberTooSmall:
                return Diagnostic.Error(at, DiagnosticCodes.OutOfRange,
                    $"{who}{field} is {SourceJson.Show(token)}; it must be at least {error.Schema?.ActualSchema.Minimum}", obj);

            case ValidationErrorKind.StringTooLong:
                return Diagnostic.Error(at, DiagnosticCodes.OutOfRange,
                    $"{who}{field} is {((string?)token)?.Length} characters long; it must be at most {error.Schema?.ActualSchema.MaxLength}; shorten it", obj);

            case ValidationErrorKind.StringTooShort:
                return Diagnostic.Error(at, DiagnosticCodes.OutOfRange,
                    $"{who}{field} must not be empty; give it a value or remove it", obj);

            case ValidationErrorKind.TooFewItems:
                return Diagnostic.Error(at, DiagnosticCodes.OutOfRange,
                    $"{who}{field} needs at least {error.Schema?.ActualSchema.MinItems} item(s); add one", obj);

            case ValidationErrorKind.TooManyItems:
                return Diagnostic.Error(at, DiagnosticCodes.OutOfRange,
                    $"{who}{field} has more than {error.Schema?.ActualSchema.MaxItems} items; remove some", obj);

            case ValidationErrorKind.ItemsNotUnique:
                return Diagnostic.Error(at, DiagnosticCodes.DuplicateName,
                    $"{who}{field} lists the same value twice; remove the repeat", obj);

            case var kind when IsTypeError(kind) || kind == ValidationErrorKind.NoTypeValidates:
            {
                var expected = Describe(error.Schema?.ActualSchema.Type ?? JsonObjectType.None);
                var written = (token as JValue)?.Annotation<SourceJson.OriginalText>()?.Text ?? SourceJson.Show(token);
                var quoteHint = token?.Type is JTokenType.Float or JTokenType.Integer or JTokenType.Boolean && expected.Contains("string", StringComparison.Ordinal)
                    ? $" (quote it: \"{written}\")"
                    : string.Empty;
                return Diagnostic.Error(at, DiagnosticCodes.WrongType,
                    $"{who}{field} must be {expected}, not {DescribeToken(token)}{quoteHint}", obj);
            }

            default:
                return Diagnostic.Error(at, DiagnosticCodes.BadFormat,
                    $"{who}{field} is invalid ({error.Kind}); see docs/manifests.md for its form", obj);
        }
    }

    internal static string Clean(string? path) => path is null or "#" ? string.Empty : path.StartsWith("#/", StringComparison.Ordinal) ? path[2..] : path;

    private static string Parent(string path)
    {
        var cut = Math.Max(path.LastIndexOf('.'), path.LastIndexOf('['));
        return cut > 0 ? path[..cut] : string.Empty;
    }

    private static JToken? TokenAt(JToken root, string? path)
    {
        var clean = Clean(path);
        return clean.Length == 0 ? root : JsonPath.Find(root, clean);
    }

    private static string? Hint(JsonSchema? schema) =>
        schema?.ActualSchema.ExtensionData is { } data && data.TryGetValue("x-gitorch-hint", out var hint) ? hint as string : null;

    private static string Describe(JsonObjectType type)
    {
        var names = new List<string>();
        if (type.HasFlag(JsonObjectType.String)) { names.Add("a string"); }
        if (type.HasFlag(JsonObjectType.Integer)) { names.Add("an integer"); }
        if (type.HasFlag(JsonObjectType.Number)) { names.Add("a number"); }
        if (type.HasFlag(JsonObjectType.Boolean)) { names.Add("true or false"); }
        if (type.HasFlag(JsonObjectType.Array)) { names.Add("a list"); }
        if (type.HasFlag(JsonObjectType.Object)) { names.Add("a mapping"); }
        return names.Count == 0 ? "another type" : string.Join(" or ", names);
    }

    private static string DescribeToken(JToken? token) => token?.Type switch
    {
        JTokenType.String => $"the string {SourceJson.Show(token)}",
        JTokenType.Integer or JTokenType.Float => $"the number {SourceJson.Show(token)}",
        JTokenType.Boolean => $"the boolean {SourceJson.Show(token)}",
        JTokenType.Null or null => "empty (null)",
        JTokenType.Array => "a list",
        JTokenType.Object => "a mapping",
        _ => SourceJson.Show(token),
    };

    /// <summary>The allowed name closest to <paramref name="given"/> by edit distance, if close enough.</summary>
    internal static string? Suggest(string? given, IReadOnlyCollection<string> allowed)
    {
        if (string.IsNullOrEmpty(given))
        {
            return null;
        }

        string? best = null;
        var bestDistance = int.MaxValue;
        foreach (var candidate in allowed)
        {
            var d = EditDistance(given.ToLowerInvariant(), candidate.ToLowerInvariant());
            if (d < bestDistance)
            {
                best = candidate;
                bestDistance = d;
            }
        }

        return bestDistance <= Math.Max(2, given.Length / 4) ? best : null;
    }

    /// <summary>Optimal string alignment distance: a swap of two neighbours counts as one edit.</summary>
    private static int EditDistance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (var i = 0; i <= a.Length; i++)
        {
            d[i, 0] = i;
        }

        for (var j = 0; j <= b.Length; j++)
        {
            d[0, j] = j;
        }

        for (var i = 1; i <= a.Length; i++)
        {
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                {
                    d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
                }
            }
        }

        return d[a.Length, b.Length];
    }

    /// <summary>
    /// Enforces <c>propertyNames</c> (which NJsonSchema 10 ignores) by walking the raw schema next
    /// to the value, following <c>$ref</c>, <c>properties</c>, <c>additionalProperties</c> and <c>items</c>.
    /// </summary>
    private static class PropertyNameChecker
    {
        public static void Check(JObject schema, JToken value, SourceDocument document, ObjectRef? obj, ICollection<Diagnostic> diagnostics) =>
            Walk(schema, schema, value, string.Empty, document, obj, diagnostics);

        private static void Walk(JObject root, JObject schema, JToken value, string path, SourceDocument document, ObjectRef? obj, ICollection<Diagnostic> diagnostics)
        {
            schema = Resolve(root, schema);
            if (value is JObject o)
            {
                if (schema["propertyNames"] is JObject names && Resolve(root, names)["pattern"] is JValue { Value: string pattern })
                {
                    var regex = new Regex(pattern, RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
                    foreach (var property in o.Properties().Where(p => !regex.IsMatch(p.Name)))
                    {
                        var fieldPath = path.Length == 0 ? property.Name : $"{path}.{property.Name}";
                        var located = NodeLocator.FindNearest(document.Root, fieldPath);
                        var (line, column) = located.Position;
                        var hint = (string?)Resolve(root, names)["x-gitorch-hint"] ?? $"a name matching {pattern}";
                        var where = path.Length == 0 ? string.Empty : $" in {path}";
                        diagnostics.Add(Diagnostic.Error(new SourceLocation(document.File, line, column), DiagnosticCodes.BadFormat,
                            $"{(obj is null ? string.Empty : obj.Display + ": ")}key \"{property.Name}\"{where} is not {hint}; rename it", obj));
                    }
                }

                foreach (var property in o.Properties())
                {
                    var child = schema["properties"]?[property.Name] as JObject ?? schema["additionalProperties"] as JObject;
                    if (child is not null)
                    {
                        Walk(root, child, property.Value, path.Length == 0 ? property.Name : $"{path}.{property.Name}", document, obj, diagnostics);
                    }
                }
            }
            else if (value is JArray a && schema["items"] is JObject items)
            {
                for (var i = 0; i < a.Count; i++)
                {
                    Walk(root, items, a[i], $"{path}[{i}]", document, obj, diagnostics);
                }
            }
        }

        private static JObject Resolve(JObject root, JObject schema)
        {
            for (var hops = 0; hops < 16 && schema["$ref"] is JValue { Value: string reference } && reference.StartsWith("#/", StringComparison.Ordinal); hops++)
            {
                var target = root.SelectToken(reference[2..].Replace('/', '.')) as JObject;
                if (target is null)
                {
                    break;
                }

                schema = target;
            }

            return schema;
        }
    }
}
