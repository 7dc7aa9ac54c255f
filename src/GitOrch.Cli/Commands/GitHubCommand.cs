using System.CommandLine;
using GitOrch.Controller.Forge;
using GitOrch.Controller.Plans;
using GitOrch.Git;

namespace GitOrch.Cli.Commands;

/// <summary>
/// <c>gitorch github comment --pr N</c>: posts the plan of a pull request as a comment, and a commit
/// status on its head (<c>gitorch/plan</c>: failure when invalid, pending when approval is needed,
/// success otherwise).
/// </summary>
internal static class GitHubCommand
{
    public static Command Create()
    {
        var pr = new Option<int>("--pr") { Description = "The pull request number", Required = true, HelpName = "N" };
        var repo = new Option<string>("--repo") { Description = "A clone of the config repo holding the PR's commits", DefaultValueFactory = _ => ".", HelpName = "R" };
        var path = new Option<string?>("--path") { Description = "Folder of the repo that holds the manifests", HelpName = "P" };
        var forge = new ForgeOptions();
        var comment = new Command("comment", "Post the plan of a pull request as a comment and a commit status") { pr, repo, path };
        forge.AddTo(comment);
        comment.SetAction(async (parse, ct) =>
        {
            var options = forge.Read(parse, parse.GetRequiredValue(repo))
                ?? throw new CliException("which GitHub repository? give --github-repo OWNER/NAME (or set GITHUB_REPOSITORY, or run it in a clone whose origin is on GitHub)");
            using var github = new GitHubClient(options);
            try
            {
                var number = parse.GetValue(pr);
                var pull = await github.PullRequestAsync(number, ct);
                if (pull.Base is null || pull.Head is null)
                {
                    throw new CliException($"pull request #{number} has no base or head commit");
                }

                var local = parse.GetRequiredValue(repo);
                await EnsureCommitsAsync(local, number, pull.Base.Sha, pull.Head.Sha, ct);
                var plan = await PlanBuilder.BuildAsync(local, pull.Base.Sha, pull.Head.Sha, parse.GetValue(path), ct);
                var updated = await github.CommentAsync(number, PlanRenderer.Markdown(plan), ct);
                var (state, description) = !plan.Valid ? ("failure", "invalid: merging would be rejected")
                    : plan.Approvals.Count > 0 ? ("pending", $"needs approval from {string.Join(", ", plan.Approvals.SelectMany(a => a.Approvers).Distinct())}")
                    : ("success", PlanRenderer.Summary(plan));
                await github.StatusAsync(pull.Head.Sha, state, description, ct);
                await parse.InvocationConfiguration.Output.WriteLineAsync($"{(updated ? "Updated the plan comment" : "Posted the plan")} on {options.Repository}#{number} and set gitorch/plan to {state} on {pull.Head.Sha[..12]}.");
                return ExitCodes.Ok;
            }
            catch (Exception ex) when (ex is ForgeException or PlanException or GitException)
            {
                throw new CliException(ex.Message);
            }
        });
        return new Command("github", "Talk to GitHub about the config repo") { comment };
    }

    /// <summary>The PR's commits must be in the local clone; fetch refs/pull/N/head from origin when they are not.</summary>
    private static async Task EnsureCommitsAsync(string path, int pr, string baseSha, string headSha, CancellationToken ct)
    {
        var top = await GitRepository.FindTopLevelAsync(path, ct) ?? throw new CliException($"{path} is not in a git repository; give --repo a clone of the config repo");
        await using var repo = new GitRepository(top);
        if (await repo.ExistsAsync(baseSha, ct) && await repo.ExistsAsync(headSha, ct))
        {
            return;
        }

        try
        {
            await repo.RunAsync(ct, "fetch", "--quiet", "origin", $"+refs/pull/{pr}/head:refs/gitorch/pull/{pr}", baseSha);
        }
        catch (GitException ex)
        {
            throw new CliException($"the pull request's commits are not in {top}, and fetching them from origin failed ({ex.Message}); fetch them first");
        }
    }
}
