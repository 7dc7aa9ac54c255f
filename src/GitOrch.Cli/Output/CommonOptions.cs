using System.CommandLine;

namespace GitOrch.Cli.Output;

/// <summary>Options shared by several verbs.</summary>
internal static class CommonOptions
{
    public const string ServerVariable = "GITORCH_SERVER";

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

    /// <summary>--server URL[,URL...], default $GITORCH_SERVER, else the server of the credentials in use (empty here).</summary>
    public static Option<string> Server() => new("--server")
    {
        Description = $"The controller's API; several URLs, comma-separated, are tried in turn (default ${ServerVariable}, else the server of the credentials: --credentials, $GITORCH_CREDENTIALS, or the current context of ~/.config/gitorch/config)",
        HelpName = "URL",
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable(ServerVariable) is { Length: > 0 } env ? env : string.Empty,
    };

    /// <summary>-n/--namespace, default "default".</summary>
    public static Option<string?> Namespace() => new("--namespace", "-n")
    {
        Description = "The namespace (default: default)",
        HelpName = "NS",
    };
}
