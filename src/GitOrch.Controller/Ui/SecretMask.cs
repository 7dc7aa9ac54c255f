using System.Text.Json.Nodes;

namespace GitOrch.Controller.Ui;

/// <summary>
/// Hides environment values (containers', init containers' and exec loops' <c>env</c>, wherever
/// they sit in an object) from viewers: the names stay, each value becomes <see cref="Hidden"/>.
/// Values may be secrets; a viewer token must not read them.
/// </summary>
internal static class SecretMask
{
    public const string Hidden = "(hidden)";
    public const string HiddenChanged = "(hidden; changed)";

    /// <summary>A masked copy of <paramref name="obj"/>. With <paramref name="before"/>, a value that differs from it there is marked as changed, so a diff still shows that it changed.</summary>
    public static JsonNode Mask(JsonNode obj, JsonNode? before = null)
    {
        var copy = obj.DeepClone();
        Walk(copy, before);
        return copy;
    }

    /// <summary>Masks every <c>env</c> mapping at any depth, next to the same place in <paramref name="before"/>.</summary>
    private static void Walk(JsonNode? node, JsonNode? before)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var (key, value) in obj.ToList())
                {
                    var previous = before is JsonObject b ? b[key] : null;
                    Walk(value, previous);
                    if (key == "env" && value is JsonObject env)
                    {
                        MaskValues(env, previous as JsonObject);
                    }
                }

                break;
            case JsonArray array:
                for (var i = 0; i < array.Count; i++)
                {
                    Walk(array[i], before is JsonArray b && i < b.Count ? b[i] : null);
                }

                break;
        }
    }

    private static void MaskValues(JsonObject env, JsonObject? previous)
    {
        foreach (var (name, value) in env.ToList())
        {
            var changed = previous is not null && !(previous.TryGetPropertyValue(name, out var old) && JsonNode.DeepEquals(old, value));
            env[name] = changed ? HiddenChanged : Hidden;
        }
    }

    /// <summary>Whether a field path is an environment value (blame shows it masked).</summary>
    public static bool IsEnvValue(string path) =>
        path.Split('.').SkipLast(1).Any(part => part == "env");
}
