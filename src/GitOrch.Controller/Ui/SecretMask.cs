using Newtonsoft.Json.Linq;

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
    public static JToken Mask(JToken obj, JToken? before = null)
    {
        var copy = obj.DeepClone();
        foreach (var env in copy.SelectTokens("$..env").OfType<JObject>().ToList())
        {
            var previous = before?.SelectToken(env.Path, errorWhenNoMatch: false) as JObject;
            foreach (var property in env.Properties().ToList())
            {
                var changed = previous is not null && !JToken.DeepEquals(previous[property.Name], property.Value);
                property.Value = changed ? HiddenChanged : Hidden;
            }
        }

        return copy;
    }

    /// <summary>Whether a field path is an environment value (blame shows it masked).</summary>
    public static bool IsEnvValue(string path) =>
        path.Split('.').SkipLast(1).Any(part => part == "env");
}
