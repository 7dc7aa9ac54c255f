using GitOrch.Controller.Forge;
using GitOrch.Controller.Tests.Support;

namespace GitOrch.Controller.Tests.Forge;

/// <summary>The GitHub client (Octokit) against the GitHub stand-in: the plan comment and how refusals are told.</summary>
public sealed class GitHubClientTests : IAsyncLifetime
{
    private const int Pr = 7;
    private GitHubStandIn _github = null!;

    public async Task InitializeAsync()
    {
        _github = await GitHubStandIn.StartAsync();
        _github.AddPullRequest(Pr, "1111111111111111111111111111111111111111", "2222222222222222222222222222222222222222", merged: false);
    }

    public async Task DisposeAsync() => await _github.DisposeAsync();

    [Theory]
    [InlineData("")] // the URL is used as given: no api/v3/ appended
    [InlineData("/api/v3")] // the GitHub Enterprise form
    public async Task ThePlanComment_IsUpdatedInPlace_AcrossTwoRuns(string suffix)
    {
        // Others' comments fill more than a page (100), so the marker is found only by following the Link header.
        for (var i = 0; i < 120; i++)
        {
            _github.AddComment(Pr, $"comment {i}");
        }

        Assert.False(await Run("first plan"));
        var id = Assert.Single(_github.Comments, c => c.Body.Contains(GitHubClient.PlanMarker, StringComparison.Ordinal)).Id;
        for (var i = 0; i < 5; i++)
        {
            _github.AddComment(Pr, $"later comment {i}");
        }

        Assert.True(await Run("second plan"));

        var plan = Assert.Single(_github.Comments, c => c.Body.Contains(GitHubClient.PlanMarker, StringComparison.Ordinal));
        Assert.Equal((id, $"second plan\n\n{GitHubClient.PlanMarker}\n"), (plan.Id, plan.Body));
        Assert.Equal(126, _github.Comments.Count);
        Assert.Equal(
            [
                $"GET /repos/acme/config/issues/{Pr}/comments?sort=created&direction=asc&per_page=100",
                $"GET /repos/acme/config/issues/{Pr}/comments?sort=created&direction=asc&per_page=100&page=2",
                $"POST /repos/acme/config/issues/{Pr}/comments",
                $"GET /repos/acme/config/issues/{Pr}/comments?sort=created&direction=asc&per_page=100",
                $"GET /repos/acme/config/issues/{Pr}/comments?sort=created&direction=asc&per_page=100&page=2",
                $"PATCH /repos/acme/config/issues/comments/{id}",
            ],
            _github.Requests.Select(r => $"{r.Method} {r.PathAndQuery}"));
        Assert.All(_github.Requests, r => Assert.Equal((suffix, $"Bearer {_github.Token}"), (r.PathBase, r.Authorization)));

        async Task<bool> Run(string body)
        {
            using var client = new GitHubClient(new GitHubOptions(_github.Repository, _github.Url + suffix, _github.Token));
            return await client.CommentAsync(Pr, body, CancellationToken.None);
        }
    }

    [Fact]
    public async Task A403WithNoRequestsRemaining_IsReportedAsTheRateLimit_WithItsReset()
    {
        _github.ExhaustRateLimit(new DateTimeOffset(2026, 11, 30, 15, 0, 0, TimeSpan.Zero));
        using var client = new GitHubClient(new GitHubOptions(_github.Repository, _github.Url, _github.Token));

        var error = await Assert.ThrowsAsync<ForgeUnavailableException>(() => client.CommentAsync(Pr, "plan", CancellationToken.None));

        Assert.Equal("the GitHub API rate limit is used up (5000 requests an hour); it resets at 2026-11-30 15:00:00 UTC; will try again then (a token of its own for gitorch raises the limit)", error.Message);
        Assert.Empty(_github.Comments);
    }

    [Fact]
    public async Task AWrongToken_IsRefused_SayingToCheckTheToken()
    {
        using var client = new GitHubClient(new GitHubOptions(_github.Repository, _github.Url, "ghs_wrong"));

        var error = await Assert.ThrowsAsync<ForgeException>(() => client.StatusAsync(new string('2', 40), "success", "ok", CancellationToken.None));

        Assert.IsNotType<ForgeUnavailableException>(error);
        Assert.Contains("401", error.Message, StringComparison.Ordinal);
        Assert.Contains("Bad credentials", error.Message, StringComparison.Ordinal);
        Assert.Contains("check the token", error.Message, StringComparison.Ordinal);
        Assert.Empty(_github.Statuses);
    }
}
