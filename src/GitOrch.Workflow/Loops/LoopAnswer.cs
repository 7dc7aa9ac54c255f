using System.Text.Json;
using System.Text.Json.Nodes;
using GitOrch.Core.Manifests;

namespace GitOrch.Workflow.Loops;

/// <summary>
/// What a loop answers, from an exec loop's stdout or an http loop's response body:
/// <c>{"set": {"status.volumes": ...}, "message": "...", "requeueAfterSeconds": 5}</c>. Every part is optional.
/// </summary>
public sealed record LoopAnswer(IReadOnlyDictionary<string, JsonNode?> Set, string? Message, double? RequeueAfterSeconds)
{
    public static LoopAnswer Empty { get; } = new(new Dictionary<string, JsonNode?>(), null, null);

    /// <summary>Parses an answer; the error says what is wrong with it (for the step's message).</summary>
    public static LoopAnswer? TryParse(string text, out string? error)
    {
        error = null;
        if (string.IsNullOrWhiteSpace(text))
        {
            return Empty;
        }

        JsonNode? token;
        try
        {
            token = ManifestJson.ParseToken(text);
        }
        catch (JsonException ex)
        {
            error = $"answered with invalid JSON ({ex.Message.TrimEnd('.')}): {Excerpt(text)}";
            return null;
        }

        if (token is not JsonObject answer)
        {
            error = $"answered with {token.ScalarKind()} instead of a JSON object like {{\"set\": {{...}}, \"message\": \"...\"}}: {Excerpt(text)}";
            return null;
        }

        var set = new Dictionary<string, JsonNode?>(StringComparer.Ordinal);
        if (answer.TryGetPropertyValue("set", out var setToken))
        {
            if (setToken is not JsonObject setObject)
            {
                error = "answered with \"set\" that is not a JSON object of field paths to values";
                return null;
            }

            foreach (var property in setObject)
            {
                set[property.Key] = property.Value;
            }
        }

        double? requeue = answer["requeueAfterSeconds"] is JsonValue r && r.GetValueKind() == JsonValueKind.Number ? r.GetValue<double>() : null;
        return new LoopAnswer(set, answer["message"]?.ToString(), requeue);
    }

    private static string Excerpt(string text)
    {
        var flat = text.Replace('\n', ' ').Trim();
        return flat.Length <= 120 ? flat : flat[..120] + "…";
    }
}
