using System.Globalization;
using Newtonsoft.Json.Linq;

namespace GitOrch.Core.Loading;

/// <summary>Turns a <see cref="SourceNode"/> tree into JSON for schema validation and binding.</summary>
public static class SourceJson
{
    public static JToken ToJson(SourceNode node) => node switch
    {
        MappingNode m => ToObject(m),
        SequenceNode s => new JArray(s.Items.Select(ToJson)),
        ScalarNode v => ToValue(v),
        _ => JValue.CreateNull(),
    };

    private static JObject ToObject(MappingNode mapping)
    {
        var obj = new JObject();
        foreach (var (key, value) in mapping.Entries)
        {
            obj[key.Value] = ToJson(value);
        }

        return obj;
    }

    /// <summary>The text a typed scalar was written with ("1.10", "010"), kept beside its parsed value.</summary>
    public sealed record OriginalText(string Text);

    /// <summary>
    /// Turns the numbers and booleans of string-valued maps (env, sysctls) back into the text they
    /// were written with: <c>V: 1.10</c> means "1.10", not 1.1.
    /// </summary>
    public static void RestoreText(JToken token, IReadOnlySet<string> stringMaps)
    {
        foreach (var property in ((JContainer)token).Descendants().OfType<JProperty>().Where(p => stringMaps.Contains(p.Name) && p.Value is JObject).ToList())
        {
            foreach (var entry in ((JObject)property.Value).Properties())
            {
                if (entry.Value is JValue { Type: not JTokenType.String and not JTokenType.Null } value)
                {
                    entry.Value = new JValue(value.Annotation<OriginalText>()?.Text ?? Show(value));
                }
            }
        }
    }

    private static JValue ToValue(ScalarNode scalar)
    {
        var value = Typed(scalar);
        if (scalar.Kind is ScalarKind.Integer or ScalarKind.Float or ScalarKind.Boolean)
        {
            value.AddAnnotation(new OriginalText(scalar.Value));
        }

        return value;
    }

    private static JValue Typed(ScalarNode scalar)
    {
        switch (scalar.Kind)
        {
            case ScalarKind.Null:
                return JValue.CreateNull();
            case ScalarKind.Boolean:
                return new JValue(YamlScalars.ParseBoolean(scalar.Value));
            case ScalarKind.Integer:
                var integer = YamlScalars.ParseInteger(scalar.Value);
                return integer is { } i ? new JValue(i) : FloatOrString(scalar.Value);
            case ScalarKind.Float:
                return FloatOrString(scalar.Value);
            default:
                return new JValue(scalar.Value);
        }
    }

    private static JValue FloatOrString(string text)
    {
        try
        {
            return new JValue(YamlScalars.ParseFloat(text));
        }
        catch (FormatException)
        {
            return new JValue(text);
        }
        catch (OverflowException)
        {
            return new JValue(text);
        }
    }

    /// <summary>Renders a scalar's value for messages: strings quoted, numbers bare.</summary>
    public static string Show(JToken? token) => token switch
    {
        null => "nothing",
        JValue { Type: JTokenType.String } s => $"\"{s.Value}\"",
        JValue { Type: JTokenType.Null } => "null",
        JValue { Type: JTokenType.Boolean } b => (bool)b! ? "true" : "false",
        JValue v => Convert.ToString(v.Value, CultureInfo.InvariantCulture) ?? "null",
        JArray => "a list",
        JObject => "a mapping",
        _ => token.ToString(),
    };
}
