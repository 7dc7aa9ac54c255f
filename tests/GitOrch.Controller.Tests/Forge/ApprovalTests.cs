using System.Text.Json.Nodes;
using GitOrch.Controller.Forge;
using GitOrch.Controller.Tests.Support;
using GitOrch.Core.Manifests;
using GitOrch.Core.Schema;
using GitOrch.History;
using static GitOrch.Controller.Tests.Support.Controllers;

namespace GitOrch.Controller.Tests.Forge;

/// <summary>
/// Rollout approvals through a real controller on a real git repo, against the GitHub stand-in.
/// The base commit holds the policy (maxStepPercent 25) and web at 40 %; the step commit moves web
/// to 100 % (a step of 60), and arrives through pull request #12.
/// </summary>
public sealed class ApprovalTests : IAsyncLifetime
{
    private const int Pr = 12;
    private const string Web = "apps/web.yaml";
    private static readonly Core.Diagnostics.ObjectRef Deployment = new("PinnedDeployment", "demo", "web");

    private readonly GitRepo _repo = GitRepo.Init();
    private readonly TempDir _state = new("gitorch-state");
    private GitHubStandIn _github = null!;
    private ControllerService? _controller;
    private string _base = string.Empty;

    public async Task InitializeAsync() => _github = await GitHubStandIn.StartAsync();

    public async Task DisposeAsync()
    {
        if (_controller is not null)
        {
            await _controller.DisposeAsync();
        }

        await _github.DisposeAsync();
        _repo.Dispose();
        _state.Dispose();
    }

    /// <summary>
    /// Commits and applies the base (policy, web at 40 %), then commits <paramref name="to"/> %
    /// and (unless told otherwise) registers that commit as merged by pull request #12.
    /// </summary>
    private async Task<(ControllerService Controller, string Step)> StartAsync(
        bool withForge = true, string? token = null, string approvers = "[sre-team]", int to = 100, bool throughPullRequest = true, TimeSpan? approvalPoll = null)
    {
        _repo.Write("cluster/policy.yaml", Manifests.RolloutPolicy(maxStepPercent: 25, approvers: approvers))
            .Write(Web, Manifests.PinnedDeployment(percentNext: 40));
        _base = _repo.Commit("web: 40% on 1.17");
        _controller = await Controllers.OpenAsync(Options(_repo.Root, _state.Path) with
        {
            GitHub = withForge ? new GitHubOptions(_github.Repository, _github.Url, token ?? _github.Token) : null,
            ApprovalPoll = approvalPoll ?? TimeSpan.FromHours(1),
        });
        await _controller.SyncAsync();
        Assert.Equal(_base, _controller.Status.LastApplied);
        Assert.Empty(_github.Requests);

        _repo.Write(Web, Manifests.PinnedDeployment(percentNext: to));
        var step = _repo.Commit($"web: {to}% on 1.17");
        if (throughPullRequest)
        {
            _github.AddPullRequest(Pr, _base, step);
        }

        return (_controller, step);
    }

    private static int PercentNext(ControllerService controller) =>
        (int)ManifestJson.Parse(controller.Store.Get(Deployment)!.ObjectJson).SelectPath("spec.percentNext")!;

    private void AssertRejected(ControllerService controller, string sha, string why, string approvers = "sre-team")
    {
        var commit = controller.Store.FindCommit(sha);
        Assert.NotNull(commit);
        Assert.Equal(CommitRecord.Rejected, commit.State);
        var error = Assert.Single(commit.Diagnostics, d => d.IsError);
        Assert.Equal((Web, 9, 3, "GO5001"), (error.File, error.Line, error.Column, error.Code));
        Assert.Equal(
            $"PinnedDeployment demo/web moves percentNext 40 → 100 (a step of 60), more than rollouts.maxStepPercent 25; it needs an approving review from one of: {approvers}; {why}",
            error.Message);
        Assert.Equal(Deployment, error.Object);
        Assert.Equal(_base, controller.Status.LastApplied);
        Assert.Equal(40, PercentNext(controller));
    }

    private void AssertApplied(ControllerService controller, string sha)
    {
        var commit = controller.Store.FindCommit(sha);
        Assert.NotNull(commit);
        Assert.Equal(CommitRecord.Applied, commit.State);
        Assert.Equal(sha, controller.Status.LastApplied);
        Assert.Equal(100, PercentNext(controller));
        Assert.Equal(Changers.Git(GitRepo.DefaultEmail), controller.Store.History(Deployment).Last(v => v.Kind == ChangeKind.External).Changer);
    }

    [Fact]
    public async Task ACommitThatWaitedForAnApproval_IsAppliedWhenTheApprovalArrives_WithItsOwnAuthorAsChanger()
    {
        var (controller, step) = await StartAsync();
        _github.AddTeamMember("sre-team", "alice");
        await controller.SyncAsync();
        AssertRejected(controller, step, $"pull request #{Pr} has no approving review from one of them");
        await controller.SyncAsync(); // Within the poll interval and not asked to: not re-checked.
        AssertRejected(controller, step, $"pull request #{Pr} has no approving review from one of them");

        _github.AddReview(Pr, "alice", "APPROVED");
        controller.RecheckApprovals(); // What a pull_request_review webhook and `gitorch sync` do.
        await controller.SyncAsync();

        AssertApplied(controller, step);
        Assert.Equal("applied after its rollout approval arrived", controller.Store.FindCommit(step)!.Note);
    }

    [Fact]
    public async Task ACommitThatWaitsForAnApproval_IsPolled_WhenNoWebhookSaysSo()
    {
        var (controller, step) = await StartAsync(approvalPoll: TimeSpan.Zero);
        _github.AddTeamMember("sre-team", "alice");
        await controller.SyncAsync();
        AssertRejected(controller, step, $"pull request #{Pr} has no approving review from one of them");

        _github.AddReview(Pr, "alice", "APPROVED");
        await controller.SyncAsync();

        AssertApplied(controller, step);
    }

    [Fact]
    public async Task Rejects_LargeStep_WhenNoForgeIsConfigured()
    {
        var (controller, step) = await StartAsync(withForge: false);

        await controller.SyncAsync();

        AssertRejected(controller, step, "no forge is configured to check approvals (start the controller with --github-repo OWNER/NAME)");
        Assert.Empty(_github.Requests);
    }

    [Fact]
    public async Task Rejects_LargeStep_WhenThePullRequestHasNoApproval()
    {
        var (controller, step) = await StartAsync();
        _github.AddTeamMember("sre-team", "alice");
        _github.AddReview(Pr, "alice", "COMMENTED");

        await controller.SyncAsync();

        AssertRejected(controller, step, $"pull request #{Pr} has no approving review from one of them");
    }

    [Fact]
    public async Task Rejects_LargeStep_WhenTheApproverIsNotInTheTeam()
    {
        var (controller, step) = await StartAsync();
        _github.AddTeamMember("sre-team", "alice");
        _github.AddTeamMember("dev-team", "bob");
        _github.AddReview(Pr, "bob", "APPROVED");

        await controller.SyncAsync();

        AssertRejected(controller, step, $"pull request #{Pr} has no approving review from one of them");
    }

    [Fact]
    public async Task Rejects_LargeStep_WhenTheApproverHasOnlyAPendingTeamInvitation()
    {
        var (controller, step) = await StartAsync();
        _github.AddTeamMember("sre-team", "bob", state: "pending");
        _github.AddReview(Pr, "bob", "APPROVED");

        await controller.SyncAsync();

        AssertRejected(controller, step, $"pull request #{Pr} has no approving review from one of them");
    }

    [Fact]
    public async Task Rejects_LargeStep_WhenApprovedBySomeoneElse_WhileAnApproverOnlyCommented()
    {
        var (controller, step) = await StartAsync();
        _github.AddTeamMember("sre-team", "alice");
        _github.AddReview(Pr, "alice", "COMMENTED");
        _github.AddReview(Pr, "mallory", "APPROVED");

        await controller.SyncAsync();

        AssertRejected(controller, step, $"pull request #{Pr} has no approving review from one of them");
    }

    [Fact]
    public async Task Rejects_LargeStep_WhenTheApproversLatestReviewRequestsChanges()
    {
        var (controller, step) = await StartAsync();
        _github.AddTeamMember("sre-team", "alice");
        _github.AddReview(Pr, "alice", "APPROVED");
        _github.AddReview(Pr, "alice", "CHANGES_REQUESTED");

        await controller.SyncAsync();

        AssertRejected(controller, step, $"pull request #{Pr} has no approving review from one of them");
    }

    [Fact]
    public async Task Rejects_LargeStep_ThatCameThroughNoPullRequest()
    {
        var (controller, step) = await StartAsync(throughPullRequest: false);

        await controller.SyncAsync();

        AssertRejected(controller, step, $"commit {step[..12]} did not come through a pull request of acme/config, so nobody approved it");
    }

    [Fact]
    public async Task Applies_LargeStep_ApprovedByAnActiveMemberOfAnApproverTeam_AskingGitHubWithTheToken()
    {
        var (controller, step) = await StartAsync();
        _github.AddTeamMember("sre-team", "alice");
        _github.AddReview(Pr, "alice", "APPROVED");

        await controller.SyncAsync();

        AssertApplied(controller, step);
        Assert.Equal(
            [
                $"GET /repos/acme/config/commits/{step}/pulls",
                $"GET /repos/acme/config/pulls/{Pr}", // its head, so that a stale approval does not count
                $"GET /repos/acme/config/pulls/{Pr}/reviews",
                "GET /orgs/acme/teams/sre-team/memberships/alice",
            ],
            _github.Requests.Select(r => $"{r.Method} {r.PathAndQuery.Split('?')[0]}"));
        Assert.All(_github.Requests, r => Assert.Equal($"Bearer {GitHubStandIn.DefaultToken}", r.Authorization));
    }

    [Fact]
    public async Task Applies_LargeStep_ApprovedByAUserListedDirectly()
    {
        var (controller, step) = await StartAsync(approvers: "[sre-team, carol]");
        _github.AddTeamMember("sre-team", "alice");
        _github.AddReview(Pr, "carol", "APPROVED");

        await controller.SyncAsync();

        AssertApplied(controller, step);
    }

    [Fact]
    public async Task Applies_SmallStep_WithoutAskingGitHub()
    {
        var (controller, step) = await StartAsync(to: 65);

        await controller.SyncAsync();

        Assert.Equal(CommitRecord.Applied, controller.Store.FindCommit(step)!.State);
        Assert.Empty(_github.Requests);
    }

    [Fact]
    public async Task GitHubFailing_FailsTheCycle_WithoutRejecting_AndTheStepAppliesWhenGitHubRecovers()
    {
        var (controller, step) = await StartAsync();
        _github.AddTeamMember("sre-team", "alice");
        _github.AddReview(Pr, "alice", "APPROVED");
        _github.FailWith(500);

        var ok = await controller.SyncOnceAsync(CancellationToken.None);

        Assert.False(ok);
        Assert.NotNull(controller.Status.LastError);
        Assert.Contains("GitHub API", controller.Status.LastError, StringComparison.Ordinal);
        Assert.Contains("500", controller.Status.LastError, StringComparison.Ordinal);
        Assert.Null(controller.Store.FindCommit(step));
        Assert.Equal(_base, controller.Status.LastApplied);

        _github.FailWith(null);
        await controller.SyncAsync();

        Assert.Null(controller.Status.LastError);
        AssertApplied(controller, step);
    }

    [Fact]
    public async Task GitHubRefusingTheToken_FailsTheCycle_SayingToCheckTheToken_WithoutRejectingOrThrowing()
    {
        var (controller, step) = await StartAsync(token: "ghs_revoked");

        var ok = await controller.SyncOnceAsync(CancellationToken.None);

        Assert.False(ok);
        Assert.NotNull(controller.Status.LastError);
        Assert.Contains("401", controller.Status.LastError, StringComparison.Ordinal);
        Assert.Contains("check the token", controller.Status.LastError, StringComparison.Ordinal);
        Assert.Null(controller.Store.FindCommit(step));
        Assert.Equal(_base, controller.Status.LastApplied);
    }

    [Fact]
    public async Task Applies_LargeStep_WhoseApprovalComesAfterThirtyOtherReviews()
    {
        // GitHub pages reviews 30 at a time by default; an approval on the second page still counts.
        var (controller, step) = await StartAsync();
        _github.AddTeamMember("sre-team", "alice");
        for (var i = 0; i < 30; i++)
        {
            _github.AddReview(Pr, $"reviewer{i}", "COMMENTED");
        }

        _github.AddReview(Pr, "alice", "APPROVED");

        await controller.SyncAsync();

        AssertApplied(controller, step);
    }
}
