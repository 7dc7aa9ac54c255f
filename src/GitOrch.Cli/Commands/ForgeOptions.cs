using System.CommandLine;
using GitOrch.Controller.Forge;

namespace GitOrch.Cli.Commands;

/// <summary>--github-repo, --github-url and --github-token-file (or $GITHUB_TOKEN), shared by the verbs that talk to the forge.</summary>
internal sealed class ForgeOptions
{
    public const string TokenVariable = "GITHUB_TOKEN";

    public Option<string?> Repository { get; } = new("--github-repo") { Description = "The config repo on GitHub, owner/name (for rollout approvals and PR comments)", HelpName = "OWNER/NAME" };

    public Option<string> Api { get; } = new("--github-url")
    {
        Description = "The GitHub API base URL (GitHub Enterprise: https://HOST/api/v3; default $GITHUB_API_URL or api.github.com)",
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable("GITHUB_API_URL") is { Length: > 0 } url ? url : GitHubClient.DefaultApi,
        HelpName = "URL",
    };

    public Option<string?> TokenFile { get; } = new("--github-token-file") { Description = $"File with a GitHub token (or set ${TokenVariable})", HelpName = "FILE" };

    public void AddTo(Command command)
    {
        command.Add(Repository);
        command.Add(Api);
        command.Add(TokenFile);
    }

    public GitHubOptions? Read(ParseResult parse, string? clone = null)
    {
        var repository = parse.GetValue(Repository)
            ?? (Environment.GetEnvironmentVariable("GITHUB_REPOSITORY") is { Length: > 0 } fromActions ? fromActions : null)
            ?? (clone is null ? null : FromOrigin(clone));
        if (repository is null)
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

    /// <summary>owner/name from the clone's origin remote (https://HOST/owner/name(.git) or git@HOST:owner/name(.git)).</summary>
    private static string? FromOrigin(string clone)
    {
        try
        {
            var url = GitOrch.Git.GitRunner.RunAsync(clone, ["remote", "get-url", "origin"], CancellationToken.None).GetAwaiter().GetResult().Trim();
            var path = url.Contains("://", StringComparison.Ordinal) ? new Uri(url).AbsolutePath : url[(url.IndexOf(':', StringComparison.Ordinal) + 1)..];
            var parts = path.Trim('/').Split('/');
            return parts.Length >= 2 ? $"{parts[^2]}/{parts[^1].Replace(".git", string.Empty, StringComparison.Ordinal)}" : null;
        }
        catch (Exception ex) when (ex is GitOrch.Git.GitException or UriFormatException)
        {
            return null;
        }
    }
}
