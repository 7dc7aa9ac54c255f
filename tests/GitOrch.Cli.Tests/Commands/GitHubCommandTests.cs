using GitOrch.Controller.Tests.Support;

namespace GitOrch.Cli.Tests.Commands;

/// <summary>
/// <c>gitorch github comment</c> in-process, against the GitHub stand-in and a real clone holding
/// pull request #7's base (web at 40 %, policy maxStepPercent 25) and head commits.
/// </summary>
public sealed class GitHubCommandTests : IAsyncLifetime
{
    private const int Pr = 7;
    private const string Web = "apps/web.yaml";

    private readonly GitRepo _repo = GitRepo.Init();
    private readonly TempDir _secrets = new("gitorch-secrets");
    private GitHubStandIn _github = null!;
    private string _base = string.Empty;

    public async Task InitializeAsync()
    {
        _github = await GitHubStandIn.StartAsync();
        File.WriteAllText(_secrets.Combine("token"), _github.Token + "\n");
        _repo.Write(Web, Manifests.PinnedDeployment(percentNext: 40)).Write("cluster/policy.yaml", Manifests.RolloutPolicy());
        _base = _repo.Commit("Base");
    }

    public async Task DisposeAsync()
    {
        await _github.DisposeAsync();
        _repo.Dispose();
        _secrets.Dispose();
    }

    /// <summary>Commits the pull request's head on its own branch (main stays at the base) and registers the PR.</summary>
    private string OpenPullRequest(string manifest)
    {
        _repo.Git("checkout", "--quiet", "-b", $"change-{Pr}");
        _repo.Write(Web, manifest);
        var head = _repo.Commit("Change web");
        _repo.Git("checkout", "--quiet", "main");
        _github.AddPullRequest(Pr, _base, head, merged: false);
        return head;
    }

    private (int Exit, string Out, string Err) Comment(int pr = Pr) => CliRunner.Run(
        "github", "comment", "--pr", pr.ToString(System.Globalization.CultureInfo.InvariantCulture),
        "--github-repo", _github.Repository, "--github-url", _github.Url, "--github-token-file", _secrets.Combine("token"), "--repo", _repo.Root);

    private string MarkdownPlan(string head)
    {
        var (_, stdout, _) = CliRunner.Run("plan", "--repo", _repo.Root, "--base", _base, "--head", head, "--output", "markdown");
        Assert.StartsWith($"### gitorch plan `{_base[..12]}..{head[..12]}`\n", stdout, StringComparison.Ordinal);
        return stdout;
    }

    private static string WithMarker(string plan) => plan.TrimEnd() + "\n\n" + GitOrch.Controller.Forge.GitHubClient.PlanMarker + "\n";

    [Fact]
    public void ASecondRun_UpdatesThePlanCommentInPlace_FoundByItsMarker()
    {
        var first = OpenPullRequest(Manifests.PinnedDeployment(percentNext: 60));
        Assert.Equal(0, Comment().Exit);
        var id = Assert.Single(_github.Comments).Id;
        _repo.Git("checkout", "--quiet", $"change-{Pr}");
        _repo.Write(Web, Manifests.PinnedDeployment(percentNext: 50));
        var second = _repo.Commit("Only to 50");
        _repo.Git("checkout", "--quiet", "main");
        _github.AddPullRequest(Pr, _base, second, merged: false);

        var (exit, stdout, stderr) = Comment();

        Assert.True(exit == 0, stderr);
        Assert.Equal($"Updated the plan comment on acme/config#{Pr} and set gitorch/plan to success on {second[..12]}.\n", stdout);
        var comment = Assert.Single(_github.Comments);
        Assert.Equal((id, WithMarker(MarkdownPlan(second))), (comment.Id, comment.Body));
        Assert.Contains(_github.Requests, r => r.Method == "PATCH" && r.PathAndQuery == $"/repos/acme/config/issues/comments/{id}");
        Assert.NotEqual(first, second);
    }

    [Fact]
    public void AnExhaustedRateLimit_IsReportedAsSuch_WithItsReset()
    {
        OpenPullRequest(Manifests.PinnedDeployment(percentNext: 60));
        _github.ExhaustRateLimit(new DateTimeOffset(2026, 11, 30, 15, 0, 0, TimeSpan.Zero));

        var (exit, _, stderr) = Comment();

        Assert.Equal(1, exit);
        Assert.Equal("gitorch: the GitHub API rate limit is used up (5000 requests an hour); it resets at 2026-11-30 15:00:00 UTC; will try again then (a token of its own for gitorch raises the limit)\n", stderr);
        Assert.Empty(_github.Comments);
    }

    private void AssertPosted(string head, string state, string description)
    {
        var comment = Assert.Single(_github.Comments);
        Assert.Equal(Pr, comment.PullRequest);
        Assert.Equal(WithMarker(MarkdownPlan(head)), comment.Body);
        Assert.Equal(new GitHubStandIn.CommitStatus(head, state, description, "gitorch/plan", null), Assert.Single(_github.Statuses));
        Assert.Equal(
            [$"GET /repos/acme/config/pulls/{Pr}", $"GET /repos/acme/config/issues/{Pr}/comments?sort=created&direction=asc&per_page=100", $"POST /repos/acme/config/issues/{Pr}/comments", $"POST /repos/acme/config/statuses/{head}"],
            _github.Requests.Select(r => $"{r.Method} {r.PathAndQuery}"));
        Assert.All(_github.Requests, r => Assert.Equal($"Bearer {_github.Token}", r.Authorization));
    }

    [Fact]
    public void StepNeedingApproval_PostsThePlan_AndAPendingStatusOnTheHead()
    {
        var head = OpenPullRequest(Manifests.PinnedDeployment(percentNext: 100));

        var (exit, stdout, stderr) = Comment();

        Assert.Equal(0, exit);
        Assert.Equal($"Posted the plan on acme/config#{Pr} and set gitorch/plan to pending on {head[..12]}.\n", stdout);
        Assert.Equal(string.Empty, stderr);
        AssertPosted(head, "pending", "needs approval from sre-team");
        Assert.Contains("**Approval:** :warning: needed before this can apply:", _github.Comments[0].Body, StringComparison.Ordinal);
    }

    [Fact]
    public void SmallStep_PostsThePlan_AndASuccessStatusWithTheSummary()
    {
        var head = OpenPullRequest(Manifests.PinnedDeployment(percentNext: 60));

        var (exit, stdout, _) = Comment();

        Assert.Equal(0, exit);
        Assert.Equal($"Posted the plan on acme/config#{Pr} and set gitorch/plan to success on {head[..12]}.\n", stdout);
        AssertPosted(head, "success", "Plan: 0 to add, 1 to change, 0 to remove; 1 generated pod(s) change; no approval needed.");
        Assert.Contains("- web-2: previous (1.16) → next (1.17), in place\n", _github.Comments[0].Body, StringComparison.Ordinal);
    }

    [Fact]
    public void InvalidHead_PostsTheDiagnostics_AndAFailureStatus()
    {
        var head = OpenPullRequest(Manifests.PinnedDeployment(percentNext: 140));

        var (exit, stdout, _) = Comment();

        Assert.Equal(0, exit);
        Assert.Equal($"Posted the plan on acme/config#{Pr} and set gitorch/plan to failure on {head[..12]}.\n", stdout);
        AssertPosted(head, "failure", "invalid: merging would be rejected");
        Assert.Equal(
            $"### gitorch plan `{_base[..12]}..{head[..12]}`\n" +
            "\n" +
            ":x: **Head is invalid**: merging it would be rejected.\n" +
            "\n" +
            "- `apps/web.yaml:9:3` **GO1008** PinnedDeployment demo/web: spec.percentNext is 140; it must be at most 100\n" +
            "\n" +
            "<!-- gitorch:plan -->\n",
            _github.Comments[0].Body);
    }

    [Fact]
    public void UnknownPullRequest_ExitsOne_NamingTheGitHubAnswer_AndPostsNothing()
    {
        var (exit, stdout, stderr) = Comment(pr: 99);

        Assert.Equal(1, exit);
        Assert.Equal(string.Empty, stdout);
        Assert.StartsWith("gitorch: the GitHub API answered 404 for /repos/acme/config/pulls/99: ", stderr, StringComparison.Ordinal);
        Assert.Empty(_github.Comments);
        Assert.Empty(_github.Statuses);
    }

    [Fact]
    public void WrongToken_ExitsOne_SayingToCheckTheToken()
    {
        OpenPullRequest(Manifests.PinnedDeployment(percentNext: 60));
        File.WriteAllText(_secrets.Combine("token"), "ghs_revoked\n");

        var (exit, _, stderr) = Comment();

        Assert.Equal(1, exit);
        Assert.StartsWith($"gitorch: the GitHub API answered 401 for /repos/acme/config/pulls/{Pr}: ", stderr, StringComparison.Ordinal);
        Assert.EndsWith(" (check the token)\n", stderr, StringComparison.Ordinal);
        Assert.Empty(_github.Comments);
    }

    [Fact]
    public void WithoutGitHubRepo_AndNoOriginOnGitHub_ExitsOne_SayingHowToName_It()
    {
        var (exit, _, stderr) = CliRunner.Run("github", "comment", "--pr", "7", "--repo", _repo.Root);

        Assert.Equal(1, exit);
        Assert.Equal("gitorch: which GitHub repository? give --github-repo OWNER/NAME (or set GITHUB_REPOSITORY, or run it in a clone whose origin is on GitHub)\n", stderr);
        Assert.Empty(_github.Requests);
    }

    [Fact]
    public void WithoutGitHubRepo_TheRepositoryComesFromTheClonesOrigin()
    {
        var head = OpenPullRequest(Manifests.PinnedDeployment(percentNext: 60));
        _repo.Git("remote", "add", "origin", $"https://github.com/{_github.Repository}.git");

        var (exit, _, stderr) = CliRunner.Run("github", "comment", "--pr", Pr.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--github-url", _github.Url, "--github-token-file", _secrets.Combine("token"), "--repo", _repo.Root);

        Assert.True(exit == 0, stderr);
        Assert.Single(_github.Comments);
        Assert.Contains(_github.Statuses, s => s.Sha == head);
    }
}
