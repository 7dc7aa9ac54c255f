using System.CommandLine;
using System.CommandLine.Parsing;
using GitOrch.Core.Diagnostics;

namespace GitOrch.Cli;

/// <summary>
/// An option-like token that no option of the command knows (<c>get pod --namespcae demo</c>):
/// System.CommandLine would take it as a positional value and then guess an option for the next
/// token. Here it is named as the unknown option it is, with the command's options closest to it.
/// </summary>
internal static class UnknownOptions
{
    /// <summary>The message for the first unknown option of <paramref name="parse"/>, or null when every option is known.</summary>
    public static string? Find(ParseResult parse)
    {
        var command = parse.CommandResult.Command;
        var known = Options(parse.CommandResult).ToList();
        var aliases = known.SelectMany(o => o.Aliases.Prepend(o.Name)).ToHashSet(StringComparer.Ordinal);
        Token? previous = null;
        foreach (var token in parse.Tokens)
        {
            if (token.Type == TokenType.DoubleDash)
            {
                return null; // Everything after "--" is a value.
            }

            var takesValue = previous is { Type: TokenType.Option } p && known.FirstOrDefault(o => o.Name == p.Value || o.Aliases.Contains(p.Value)) is { } option
                && option.Arity.MaximumNumberOfValues > 0;
            if (token.Type == TokenType.Argument && !takesValue && LooksLikeOption(token.Value) && !aliases.Contains(token.Value.Split('=', ':')[0]))
            {
                var name = token.Value.Split('=', ':')[0];
                var suggestions = aliases.Where(a => a.StartsWith("--", StringComparison.Ordinal) || name.Length <= 3)
                    .Select(a => (Alias: a, Distance: Suggestions.Distance(name, a)))
                    .Where(s => s.Distance <= Math.Max(2, name.Length / 3))
                    .OrderBy(s => s.Distance).ThenBy(s => s.Alias, StringComparer.Ordinal)
                    .Select(s => s.Alias).Take(3).ToList();
                var path = string.Join(' ', CommandPath(parse.CommandResult));
                return $"unknown option '{name}' for `{path}`"
                    + (suggestions.Count > 0 ? $". Did you mean {string.Join(" or ", suggestions.Select(s => $"'{s}'"))}?" : string.Empty)
                    + $" (`{path} --help` lists its options)";
            }

            previous = token;
        }

        return null;
    }

    private static bool LooksLikeOption(string value) =>
        value.Length > 1 && value[0] == '-' && !double.TryParse(value, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out _);

    private static IEnumerable<Option> Options(CommandResult result)
    {
        foreach (var option in result.Command.Options)
        {
            yield return option;
        }

        for (var parent = result.Parent as CommandResult; parent is not null; parent = parent.Parent as CommandResult)
        {
            foreach (var option in parent.Command.Options.Where(o => o.Recursive))
            {
                yield return option;
            }
        }
    }

    private static IEnumerable<string> CommandPath(CommandResult result)
    {
        var names = new List<string>();
        for (SymbolResult? r = result; r is CommandResult c; r = r.Parent)
        {
            names.Add(c.Parent is null ? "gitorch" : c.Command.Name);
        }

        names.Reverse();
        return names;
    }
}
