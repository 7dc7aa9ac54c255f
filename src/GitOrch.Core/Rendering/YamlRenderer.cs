using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using System.Text.Json.Nodes;
using GitOrch.Core.Manifests;

namespace GitOrch.Core.Rendering;

/// <summary>
/// Renders JSON objects as block-style YAML, deterministically (same input, same bytes), quoting
/// strings that would otherwise read back as another type ("1.16", "true", "yes").
/// </summary>
public static partial class YamlRenderer
{
    public static string Render(JsonNode? token)
    {
        var text = new StringBuilder();
        switch (token)
        {
            case JsonObject o when o.Count > 0:
                WriteMapping(text, o, 0);
                break;
            case JsonArray a when a.Count > 0:
                WriteSequence(text, a, 0);
                break;
            default:
                text.Append(Scalar(token)).Append('\n');
                break;
        }

        return text.ToString();
    }

    private static void WriteMapping(StringBuilder text, JsonObject obj, int indent)
    {
        foreach (var property in obj)
        {
            text.Append(' ', indent).Append(Key(property.Key)).Append(':');
            WriteValue(text, property.Value, indent);
        }
    }

    private static void WriteSequence(StringBuilder text, JsonArray array, int indent)
    {
        foreach (var item in array)
        {
            text.Append(' ', indent).Append('-');
            if (item is JsonObject o && o.Count > 0)
            {
                // "- first: x" then the other keys aligned under "first".
                var first = true;
                foreach (var property in o)
                {
                    if (first)
                    {
                        text.Append(' ').Append(Key(property.Key)).Append(':');
                        first = false;
                    }
                    else
                    {
                        text.Append(' ', indent + 2).Append(Key(property.Key)).Append(':');
                    }

                    WriteValue(text, property.Value, indent + 2);
                }
            }
            else
            {
                WriteValue(text, item, indent);
            }
        }
    }

    private static void WriteValue(StringBuilder text, JsonNode? value, int indent)
    {
        switch (value)
        {
            case JsonObject o when o.Count > 0:
                text.Append('\n');
                WriteMapping(text, o, indent + 2);
                break;
            case JsonArray a when a.Count > 0:
                text.Append('\n');
                WriteSequence(text, a, indent + 2);
                break;
            default:
                text.Append(' ').Append(Scalar(value)).Append('\n');
                break;
        }
    }

    private static string Key(string key) => NeedsQuotes(key) ? Quote(key) : key;

    /// <summary>One value as a YAML scalar (quoted when it would otherwise read back as another type).</summary>
    public static string Scalar(JsonNode? token) => Scalar(token, flowSafe: false);

    /// <summary>
    /// One value as a YAML scalar. <paramref name="flowSafe"/> also quotes strings with the flow
    /// indicators <c>, [ ] { }</c>, for a value written inside <c>{...}</c> or <c>[...]</c>.
    /// </summary>
    public static string Scalar(JsonNode? token, bool flowSafe) => token.ScalarKind() switch
    {
        JsonScalar.Object => "{}",
        JsonScalar.Array => "[]",
        JsonScalar.Null => "null",
        JsonScalar.Boolean => token!.GetValue<bool>() ? "true" : "false",
        JsonScalar.Integer => ManifestJson.NumberText((JsonValue)token!),
        JsonScalar.Float => FormatFloat(token!.GetValue<double>()),
        _ => token!.GetValue<string>() is var s && (NeedsQuotes(s) || (flowSafe && s.AsSpan().IndexOfAny(",[]{}") >= 0)) ? Quote(s) : token.GetValue<string>(),
    };

    private static string FormatFloat(double d) =>
        double.IsPositiveInfinity(d) ? ".inf" : double.IsNegativeInfinity(d) ? "-.inf" : double.IsNaN(d) ? ".nan"
        : d.ToString("R", CultureInfo.InvariantCulture) is var r && (r.Contains('.', StringComparison.Ordinal) || r.Contains('E', StringComparison.Ordinal)) ? r : r + ".0";

    private static bool NeedsQuotes(string s) =>
        s.Length == 0
        || Loading.YamlScalars.Resolve(s) != Loading.ScalarKind.String
        || s is "yes" or "no" or "on" or "off" or "Yes" or "No" or "On" or "Off" or "YES" or "NO" or "ON" or "OFF" or "y" or "n"
        || !PlainSafe().IsMatch(s)
        || s.Contains(": ", StringComparison.Ordinal)
        || s.Contains(" #", StringComparison.Ordinal)
        || VisibleText.Hides(s); // Tabs, CR, NEL, line separators, other control characters and bidirectional overrides: written as escapes.

    /// <summary>A string as a double-quoted YAML scalar (always valid, in flow and block context).</summary>
    public static string Quote(string s)
    {
        var text = new StringBuilder("\"");
        foreach (var c in s)
        {
            text.Append(c switch
            {
                '"' => "\\\"",
                '\\' => "\\\\",
                '\n' => "\\n",
                '\t' => "\\t",
                '\r' => "\\r",
                '\u0085' => "\\N",
                '\u2028' => "\\L",
                '\u2029' => "\\P",
                _ when VisibleText.Hides(c) => c <= '\u00ff' ? $"\\x{(int)c:x2}" : $"\\u{(int)c:x4}",
                _ => c.ToString(),
            });
        }

        return text.Append('"').ToString();
    }

    // Plain scalars: no leading indicator, no ": " or " #", no trailing space.
    [GeneratedRegex(@"^[^\s\-?:,\[\]{}#&*!|>'""%@`][^\n]*(?<![\s:])\z|^-[^\s][^\n]*(?<![\s:])\z")]
    private static partial Regex PlainSafe();
}
