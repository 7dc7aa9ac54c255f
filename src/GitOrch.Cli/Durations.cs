using System.Globalization;
using System.Text.RegularExpressions;

namespace GitOrch.Cli;

/// <summary>Durations users write: <c>90s</c>, <c>30m</c>, <c>24h</c>, <c>7d</c>.</summary>
internal static partial class Durations
{
    public static TimeSpan Parse(string text, string flag)
    {
        var match = Shape().Match(text.Trim());
        if (!match.Success || !double.TryParse(match.Groups[1].Value, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || value <= 0)
        {
            throw new CliException($"{flag} \"{text}\" is not a duration; write it like 90s, 30m, 24h or 7d");
        }

        return match.Groups[2].Value switch
        {
            "s" => TimeSpan.FromSeconds(value),
            "m" => TimeSpan.FromMinutes(value),
            "h" => TimeSpan.FromHours(value),
            _ => TimeSpan.FromDays(value),
        };
    }

    [GeneratedRegex("^([0-9]+(?:\\.[0-9]+)?)([smhd])$")]
    private static partial Regex Shape();
}
