using GitOrch.Controller.Tests.Support;
using GitOrch.EndToEnd.Tests.Support;

namespace GitOrch.EndToEnd.Tests;

/// <summary>
/// <c>gitorch github comment</c> as a process (in the second pass of .ci/run, the published binary):
/// the GitHub client's requests and answers go through the same code users run, against the GitHub
/// API's stand-in.
/// </summary>
public sealed class GitHubCommentTests
{
    [Fact]
    public async Task GitHubComment_AsAProcess_PostsThePlanOfAPullRequest_AndItsStatus()
    {
        await using var github = await GitHubStandIn.StartAsync();
        using var repo = new GitRepo(GitRepo.ExampleRepo());
        using var secrets = new TempFolder();
        var baseSha = repo.Commit("Initial config");
        repo.Git("checkout", "-q", "-b", "change-7");
        repo.Replace("apps/web.yaml", "percentNext: 40 ", "percentNext: 60 ");
        var head = repo.Commit("Web to 60%");
        repo.Git("checkout", "-q", "main");
        github.AddPullRequest(7, baseSha, head, merged: false);
        var token = Path.Combine(secrets.Path, "token");
        File.WriteAllText(token, github.Token + "\n");

        var (exit, output) = await CliProcess.RunAsync(repo.Path, new Dictionary<string, string>(),
            "github", "comment", "--pr", "7", "--github-repo", github.Repository, "--github-url", github.Url, "--github-token-file", token, "--repo", repo.Path);

        Assert.True(exit == 0, output);
        Assert.Contains($"Posted the plan on {github.Repository}#7 and set gitorch/plan to", output, StringComparison.Ordinal);
        var comment = Assert.Single(github.Comments);
        Assert.Equal(7, comment.PullRequest);
        Assert.Contains($"### gitorch plan `{baseSha[..12]}..{head[..12]}`", comment.Body, StringComparison.Ordinal);
        Assert.Contains("PinnedDeployment demo/web", comment.Body, StringComparison.Ordinal);
        var status = Assert.Single(github.Statuses);
        Assert.Equal((head, "gitorch/plan"), (status.Sha, status.Context));
        Assert.All(github.Requests, r => Assert.Equal($"Bearer {github.Token}", r.Authorization));
    }
}
