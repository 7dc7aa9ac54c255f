using System.CommandLine;

namespace GitOrch.Cli.Output;

/// <summary>Options shared by several verbs.</summary>
internal static class CommonOptions
{
    public static Option<OutputFormat> Output(params OutputFormat[] allowed)
    {
        var names = allowed.Select(a => a.ToString().ToLowerInvariant()).ToArray();
        var option = new Option<OutputFormat>("--output", "-o")
        {
            Description = $"Output format: {string.Join(", ", names)}",
            HelpName = string.Join('|', names),
            DefaultValueFactory = _ => OutputFormat.Text,
            CustomParser = result =>
            {
                var text = result.Tokens.Count > 0 ? result.Tokens[0].Value : "text";
                if (Enum.TryParse<OutputFormat>(text, ignoreCase: true, out var format) && allowed.Contains(format))
                {
                    return format;
                }

                result.AddError($"--output must be one of: {string.Join(", ", names)} (got \"{text}\")");
                return OutputFormat.Text;
            },
        };
        return option;
    }
}
