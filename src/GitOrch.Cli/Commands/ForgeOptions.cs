using System.CommandLine;
using GitOrch.Controller.Forge;

namespace GitOrch.Cli.Commands;

/// <summary>--github-repo, --github-url and --github-token-file (or $GITHUB_TOKEN), shared by the verbs that talk to the forge.</summary>
internal sealed class ForgeOptions
{
    public const string TokenVariable = "GITHUB_TOKEN";

    public Option<string?> Repository { get; } = new("--github-repo") { Description = "The config repo on GitHub, owner/name (for rollout approvals and PR comments)", HelpName = "OWNER/NAME" };

    public Option<string> Api { get; } = new("--github-url") { Description = "The GitHub API base URL (GitHub Enterprise: https://HOST/api/v3)", DefaultValueFactory = _ => GitHubClient.DefaultApi, HelpName = "URL" };

    public Option<string?> TokenFile { get; } = new("--github-token-file") { Description = $"File with a GitHub token (or set ${TokenVariable})", HelpName = "FILE" };

    public void AddTo(Command command)
    {
        command.Add(Repository);
        command.Add(Api);
        command.Add(TokenFile);
    }

    public GitHubOptions? Read(ParseResult parse)
    {
        if (parse.GetValue(Repository) is not { } repository)
        {
            return null;
        }

        string? token;
        if (parse.GetValue(TokenFile) is { } file)
        {
            try
            {
                token = File.ReadAllText(file).Trim();
            }
            catch (IOException ex)
            {
                throw new CliException($"cannot read the GitHub token from {file} ({ex.Message})");
            }
        }
        else
        {
            token = Environment.GetEnvironmentVariable(TokenVariable);
        }

        return new GitHubOptions(repository, parse.GetRequiredValue(Api), token);
    }
}
