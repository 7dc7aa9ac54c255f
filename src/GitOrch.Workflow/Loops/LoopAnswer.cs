using Newtonsoft.Json;
using Newtonsoft.Json.Linq;

namespace GitOrch.Workflow.Loops;

/// <summary>
/// What a loop answers, from an exec loop's stdout or an http loop's response body:
/// <c>{"set": {"status.volumes": ...}, "message": "...", "requeueAfterSeconds": 5}</c>. Every part is optional.
/// </summary>
public sealed record LoopAnswer(IReadOnlyDictionary<string, JToken> Set, string? Message, double? RequeueAfterSeconds)
{
    public static LoopAnswer Empty { get; } = new(new Dictionary<string, JToken>(), null, null);

    /// <summary>Parses an answer; the error says what is wrong with it (for the step's message).</summary>
    public static LoopAnswer? TryParse(string text, out string? error)
    {
        error = null;
        if (string.IsNullOrWhiteSpace(text))
        {
            return Empty;
        }

        JToken token;
        try
        {
            token = GitOrch.Core.Manifests.ManifestJson.ParseToken(text);
        }
        catch (JsonReaderException ex)
        {
            error = $"answered with invalid JSON ({ex.Message.TrimEnd('.')}): {Excerpt(text)}";
            return null;
        }

        if (token is not JObject answer)
        {
            error = $"answered with {token.Type} instead of a JSON object like {{\"set\": {{...}}, \"message\": \"...\"}}: {Excerpt(text)}";
            return null;
        }

        var set = new Dictionary<string, JToken>(StringComparer.Ordinal);
        if (answer["set"] is { } setToken)
        {
            if (setToken is not JObject setObject)
            {
                error = "answered with \"set\" that is not a JSON object of field paths to values";
                return null;
            }

            foreach (var property in setObject.Properties())
            {
                set[property.Name] = property.Value;
            }
        }

        double? requeue = answer["requeueAfterSeconds"] is JValue { Type: JTokenType.Integer or JTokenType.Float } r ? (double)r : null;
        return new LoopAnswer(set, answer["message"]?.ToString(), requeue);
    }

    private static string Excerpt(string text)
    {
        var flat = text.Replace('\n', ' ').Trim();
        return flat.Length <= 120 ? flat : flat[..120] + "…";
    }
}
