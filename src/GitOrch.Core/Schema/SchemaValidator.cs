using System.Buffers;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using GitOrch.Core.Diagnostics;
using GitOrch.Core.Loading;
using Json.Schema;

namespace GitOrch.Core.Schema;

/// <summary>
/// Validates one document against its kind's schema (draft-07) and turns each failure into a
/// positioned diagnostic that says what is wrong and what to do. A document the compiled fast
/// check passes is valid (<see cref="SchemaCheck"/>: most are, and cost a walk of their tree);
/// every other one is evaluated by JsonSchema.Net, which decides and names each failure. Its
/// instance is built straight from the YAML node tree; each failure's instance location (a JSON
/// Pointer) maps back to the node it came from, so positions are exact.
/// </summary>
public static class SchemaValidator
{
    // Most documents are valid: a pass/fail evaluation first, the detailed one only for a failure.
    // Pass/fail needs no annotations: of the keywords our draft-07 schemas use, none depends on
    // them (additionalProperties takes its sibling properties' names from the schema itself), and
    // collecting them is much of what an evaluation allocates.
    private static readonly EvaluationOptions Quick = QuickOptions();
    private static readonly EvaluationOptions Detailed = new() { OutputFormat = OutputFormat.List };

    private static EvaluationOptions QuickOptions()
    {
        var options = new EvaluationOptions { OutputFormat = OutputFormat.Flag };
        options.IgnoreAllAnnotations();
        return options;
    }

    /// <summary>Both evaluations' verdicts on one document (they must agree; the quick one decides whether the detailed one runs).</summary>
    internal static (bool Quick, bool Detailed) Verdicts(string kind, SourceDocument document)
    {
        var schema = SchemaRegistry.Schema(kind);
        using var instance = ToJsonDocument(document.Root);
        return (schema.Evaluate(instance.RootElement, Quick).IsValid, schema.Evaluate(instance.RootElement, Detailed).IsValid);
    }

    /// <summary>JsonSchema.Net's pass/fail verdict alone (instance written, then evaluated): what every document cost before the fast check, for the bench.</summary>
    internal static bool LibraryPasses(string kind, SourceDocument document)
    {
        using var instance = ToJsonDocument(document.Root);
        return SchemaRegistry.Schema(kind).Evaluate(instance.RootElement, Quick).IsValid;
    }

    /// <summary>Whether the compiled fast check passes a document (JsonSchema.Net decides the rest; see <see cref="SchemaCheck"/>).</summary>
    internal static bool PassesFastCheck(string kind, SourceDocument document) => SchemaRegistry.Check(kind).Passes(document.Root);

    public static void Validate(string kind, SourceDocument document, ObjectRef? obj, ICollection<Diagnostic> diagnostics)
    {
        if (PassesFastCheck(kind, document))
        {
            return;
        }

        var schema = SchemaRegistry.Schema(kind);
        using var instance = ToJsonDocument(document.Root);
        if (schema.Evaluate(instance.RootElement, Quick).IsValid)
        {
            return;
        }

        var results = schema.Evaluate(instance.RootElement, Detailed);

        var reported = new HashSet<(string, string)>();
        foreach (var result in Flatten(results))
        {
            if (result.Errors is not { Count: > 0 } errors)
            {
                continue;
            }

            var instancePath = Segments(result.InstanceLocation.ToString(), document.Root);
            var keywordPath = result.EvaluationPath.ToString().Split('/', StringSplitOptions.RemoveEmptyEntries).Select(SchemaRegistry.Unescape).ToList();
            foreach (var keyword in errors.Keys)
            {
                if (reported.Add((result.InstanceLocation.ToString(), keywordPath.Count > 0 && keyword.Length == 0 ? keywordPath[^1] : keyword)))
                {
                    foreach (var diagnostic in ToDiagnostics(kind, keyword, keywordPath, instancePath, document, obj))
                    {
                        diagnostics.Add(diagnostic);
                    }
                }
            }
        }
    }

    private static IEnumerable<EvaluationResults> Flatten(EvaluationResults results)
    {
        yield return results;
        foreach (var detail in results.Details ?? [])
        {
            foreach (var inner in Flatten(detail))
            {
                yield return inner;
            }
        }
    }

    /// <summary>The instance as JSON, with YAML scalars typed as the schema sees them.</summary>
    internal static JsonDocument ToJsonDocument(SourceNode root)
    {
        var buffer = new ArrayBufferWriter<byte>(1024);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            SourceJson.Write(writer, root, WriteScalar);
        }

        return JsonDocument.Parse(buffer.WrittenMemory);
    }

    private static void WriteScalar(Utf8JsonWriter writer, ScalarNode scalar)
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
            case double d when double.IsFinite(d):
                writer.WriteNumberValue(d);
                break;
            default:
                writer.WriteStringValue(scalar.Value);
                break;
        }
    }

    /// <summary>A JSON Pointer's segments as node-locator segments: ints where the YAML node is a list.</summary>
    private static List<object> Segments(string pointer, SourceNode root)
    {
        var segments = new List<object>();
        SourceNode? node = root;
        foreach (var raw in pointer.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            var name = SchemaRegistry.Unescape(raw);
            if (node is SequenceNode sequence && int.TryParse(name, NumberStyles.None, CultureInfo.InvariantCulture, out var index))
            {
                segments.Add(index);
                node = index < sequence.Items.Count ? sequence.Items[index] : null;
            }
            else
            {
                segments.Add(name);
                node = (node as MappingNode)?[name];
            }
        }

        return segments;
    }

    /// <summary>"spec.containers[0].image", as messages and docs write a field.</summary>
    internal static string Display(IEnumerable<object> segments)
    {
        var text = new System.Text.StringBuilder();
        foreach (var segment in segments)
        {
            if (segment is int i)
            {
                text.Append('[').Append(i.ToString(CultureInfo.InvariantCulture)).Append(']');
            }
            else
            {
                if (text.Length > 0)
                {
                    text.Append('.');
                }

                text.Append((string)segment);
            }
        }

        return text.ToString();
    }

    private static IEnumerable<Diagnostic> ToDiagnostics(
        string kind, string keyword, List<string> keywordPath, List<object> instancePath, SourceDocument document, ObjectRef? obj)
    {
        var who = obj is null ? string.Empty : obj.Display + ": ";
        var path = Display(instancePath);
        var field = path.Length == 0 ? "the document" : path;
        var located = NodeLocator.Find(document.Root, instancePath) ?? NodeLocator.FindNearest(document.Root, path);
        var (line, column) = located.Position;
        var at = new SourceLocation(document.File, line, column);
        var value = located.Node;
        var last = keywordPath.Count > 0 ? keywordPath[^1] : string.Empty;

        // additionalProperties: false fails as the "false" schema at the extra property.
        if (keyword.Length == 0 && last == "additionalProperties" && instancePath.Count > 0)
        {
            var parent = Display(instancePath.Take(instancePath.Count - 1));
            var property = (string)instancePath[^1];
            var owner = SchemaRegistry.RawAt(kind, keywordPath[..^1]);
            var allowed = (owner?["properties"] as JsonObject)?.Select(p => p.Key).Where(k => k != "status").ToList() ?? [];
            var suggestion = Suggest(property, allowed);
            var where = parent.Length == 0 ? "at the top level" : $"in {parent}";
            var hint = suggestion is not null
                ? $"did you mean \"{suggestion}\"?"
                : allowed.Count > 0 ? $"remove it; allowed fields here: {string.Join(", ", allowed)}" : "remove it";
            yield return Diagnostic.Error(at, DiagnosticCodes.UnknownField, $"{who}unknown field \"{property}\" {where}; {hint}", obj);
            yield break;
        }

        var schema = SchemaRegistry.RawAt(kind, keywordPath);

        // propertyNames: the key itself is the instance; its location is the key's.
        if (last == "propertyNames" && instancePath.Count > 0)
        {
            var parent = Display(instancePath.Take(instancePath.Count - 1));
            var hint = Text(schema?["x-gitorch-hint"]) ?? $"a name matching {Text(schema?["pattern"])}";
            var where = parent.Length == 0 ? string.Empty : $" in {parent}";
            yield return Diagnostic.Error(at, DiagnosticCodes.BadFormat,
                $"{who}key \"{instancePath[^1]}\"{where} is not {hint}; rename it", obj);
            yield break;
        }

        switch (keyword)
        {
            case "required":
            {
                var present = value is MappingNode mapping ? mapping.Entries.Select(e => e.Key.Value).ToHashSet(StringComparer.Ordinal) : [];
                var where = path.Length == 0 ? "the document" : path;
                foreach (var name in (schema?["required"] as JsonArray ?? []).Select(Text).OfType<string>().Where(n => !present.Contains(n)))
                {
                    yield return Diagnostic.Error(at, DiagnosticCodes.MissingField,
                        $"{who}{where} is missing the required field \"{name}\"; add it", obj);
                }

                yield break;
            }

            case "enum":
            {
                var values = (schema?["enum"] as JsonArray ?? []).Select(v => Text(v) ?? v?.ToJsonString() ?? "null").ToList();
                var list = string.Join(", ", values);
                var suggestion = value is ScalarNode { Kind: ScalarKind.String } s ? Suggest(s.Value, values) : null;
                var hint = suggestion is not null ? $"did you mean \"{suggestion}\"? (allowed: {list})" : $"use one of: {list}";
                yield return Diagnostic.Error(at, DiagnosticCodes.NotAllowedValue,
                    $"{who}{field} is {Show(value)}, which is not allowed; {hint}", obj);
                yield break;
            }

            case "pattern":
            {
                var hint = Text(schema?["x-gitorch-hint"]) ?? $"a value matching {Text(schema?["pattern"])}";
                yield return Diagnostic.Error(at, DiagnosticCodes.BadFormat,
                    $"{who}{field} is {Show(value)}, which is not {hint}; change it to that form", obj);
                yield break;
            }

            case "maximum" or "exclusiveMaximum":
                yield return Diagnostic.Error(at, DiagnosticCodes.OutOfRange,
                    $"{who}{field} is {Show(value)}; it must be at most {schema?[keyword]?.ToJsonString()}", obj);
                yield break;

            case "minimum" or "exclusiveMinimum":
                yield return Diagnostic.Error(at, DiagnosticCodes.OutOfRange,
                    $"{who}{field} is {Show(value)}; it must be at least {schema?[keyword]?.ToJsonString()}", obj);
                yield break;

            case "maxLength":
                yield return Diagnostic.Error(at, DiagnosticCodes.OutOfRange,
                    $"{who}{field} is {(value as ScalarNode)?.Value.Length} characters long; it must be at most {schema?["maxLength"]?.ToJsonString()}; shorten it", obj);
                yield break;

            case "minLength":
                yield return Diagnostic.Error(at, DiagnosticCodes.OutOfRange,
                    $"{who}{field} must not be empty; give it a value or remove it", obj);
                yield break;

            case "minItems":
                yield return Diagnostic.Error(at, DiagnosticCodes.OutOfRange,
                    $"{who}{field} needs at least {schema?["minItems"]?.ToJsonString()} item(s); add one", obj);
                yield break;

            case "maxItems":
                yield return Diagnostic.Error(at, DiagnosticCodes.OutOfRange,
                    $"{who}{field} has more than {schema?["maxItems"]?.ToJsonString()} items; remove some", obj);
                yield break;

            case "uniqueItems":
                yield return Diagnostic.Error(at, DiagnosticCodes.DuplicateName,
                    $"{who}{field} lists the same value twice; remove the repeat", obj);
                yield break;

            case "type":
            {
                var expected = Describe(schema?["type"]);
                var quoteHint = value is ScalarNode { Kind: ScalarKind.Integer or ScalarKind.Float or ScalarKind.Boolean } written
                    && expected.Contains("string", StringComparison.Ordinal)
                    ? $" (quote it: \"{written.Value}\")"
                    : string.Empty;
                yield return Diagnostic.Error(at, DiagnosticCodes.WrongType,
                    $"{who}{field} must be {expected}, not {DescribeValue(value)}{quoteHint}", obj);
                yield break;
            }

            default:
                yield return Diagnostic.Error(at, DiagnosticCodes.BadFormat,
                    $"{who}{field} is invalid ({(keyword.Length == 0 ? last : keyword)}); see docs/manifests.md for its form", obj);
                yield break;
        }
    }

    private static string? Text(JsonNode? node) =>
        node is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : null;

    private static string Describe(JsonNode? type)
    {
        var given = type switch
        {
            JsonArray a => a.Select(Text).OfType<string>().ToHashSet(StringComparer.Ordinal),
            _ when Text(type) is { } one => [one],
            _ => [],
        };
        var names = new List<string>();
        if (given.Contains("string")) { names.Add("a string"); }
        if (given.Contains("integer")) { names.Add("an integer"); }
        if (given.Contains("number")) { names.Add("a number"); }
        if (given.Contains("boolean")) { names.Add("true or false"); }
        if (given.Contains("array")) { names.Add("a list"); }
        if (given.Contains("object")) { names.Add("a mapping"); }
        return names.Count == 0 ? "another type" : string.Join(" or ", names);
    }

    /// <summary>Renders a value for messages: strings quoted, numbers as read, lists and mappings by name.</summary>
    internal static string Show(SourceNode? node) => node switch
    {
        null => "nothing",
        ScalarNode scalar => YamlScalars.Typed(scalar) switch
        {
            null => "null",
            bool b => b ? "true" : "false",
            long l => l.ToString(CultureInfo.InvariantCulture),
            double d => d.ToString(CultureInfo.InvariantCulture),
            var s => $"\"{s}\"",
        },
        SequenceNode => "a list",
        _ => "a mapping",
    };

    private static string DescribeValue(SourceNode? node) => node switch
    {
        ScalarNode scalar => YamlScalars.Typed(scalar) switch
        {
            null => "empty (null)",
            bool => $"the boolean {Show(node)}",
            long or double => $"the number {Show(node)}",
            _ => $"the string {Show(node)}",
        },
        SequenceNode => "a list",
        MappingNode => "a mapping",
        _ => "empty (null)",
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
            var d = Suggestions.Distance(given.ToLowerInvariant(), candidate.ToLowerInvariant());
            if (d < bestDistance)
            {
                best = candidate;
                bestDistance = d;
            }
        }

        return bestDistance <= Math.Max(2, given.Length / 4) ? best : null;
    }
}
