using GitOrch.Core.Loading;
using GitOrch.Core.Rollouts;
using GitOrch.Core.Tests.Support;

namespace GitOrch.Core.Tests.Rollouts;

public sealed class RolloutApprovalsTests
{
    private static string Deployment(int percentNext, string name = "web") => $$$"""
        apiVersion: gitorch.dev/v1
        kind: PinnedDeployment
        metadata: {name: {{{name}}}, namespace: demo}
        spec:
          replicas: 5
          percentNext: {{{percentNext}}}
          previous: {labels: {version: "1.16"}, spec: {containers: [{name: main, image: "busybox:1.35"}]}}
          next: {labels: {version: "1.17"}, spec: {containers: [{name: main, image: "busybox:1.36"}]}}
        """;

    private static string Policy(int? maxStepPercent, string? approvers = "[sre-team, alice]")
    {
        var rollouts = maxStepPercent is not { } limit ? "history: {keepVersions: 10}"
            : approvers is null ? $"rollouts: {{maxStepPercent: {limit}}}"
            : $"rollouts: {{maxStepPercent: {limit}, approvers: {approvers}}}";
        return $"""
            apiVersion: gitorch.dev/v1
            kind: ClusterPolicy
            metadata: {"{"}name: cluster{"}"}
            spec:
              {rollouts}
            """;
    }

    private static IReadOnlyList<LoadedObject> Objects(params string[] documents)
    {
        var result = TestManifests.Validate(documents[0], documents[1..]);
        result.NoErrors();
        return result.Objects;
    }

    [Fact]
    public void StepLargerThanTheLimit_NeedsApproval_FromTheListedApprovers()
    {
        var need = Assert.Single(RolloutApprovals.Needed(Objects(Policy(25), Deployment(40)), Objects(Policy(25), Deployment(100))));

        Assert.Equal("PinnedDeployment/demo/web", need.Object.Ref.Key);
        Assert.Equal(40, need.From);
        Assert.Equal(100, need.To);
        Assert.Equal(60, need.Step);
        Assert.Equal(25, need.Limit);
        Assert.Equal(["sre-team", "alice"], need.Approvers);
        Assert.Equal(
            "PinnedDeployment demo/web moves percentNext 40 → 100 (a step of 60), more than rollouts.maxStepPercent 25; it needs an approving review from one of: sre-team, alice",
            need.Describe());
    }

    [Fact]
    public void LimitComesFromThePolicyBeforeTheChange_ACommitRaisingMaxStepPercentDoesNotApproveItself()
    {
        var need = Assert.Single(RolloutApprovals.Needed(Objects(Policy(25), Deployment(40)), Objects(Policy(100), Deployment(100))));

        Assert.Equal(25, need.Limit);
        Assert.Equal(60, need.Step);
    }

    [Fact]
    public void LimitComesFromThePolicyBeforeTheChange_ACommitLoweringMaxStepPercentDoesNotBlockItself()
    {
        Assert.Empty(RolloutApprovals.Needed(Objects(Policy(25), Deployment(40)), Objects(Policy(10), Deployment(60))));
    }

    [Theory]
    [InlineData(40, 65)] // exactly the limit
    [InlineData(40, 40)] // no step
    [InlineData(40, 50)]
    [InlineData(0, 25)]
    public void StepUpToTheLimit_NeedsNothing(int from, int to) =>
        Assert.Empty(RolloutApprovals.Needed(Objects(Policy(25), Deployment(from)), Objects(Policy(25), Deployment(to))));

    [Fact]
    public void StepOneOverTheLimit_NeedsApproval()
    {
        var need = Assert.Single(RolloutApprovals.Needed(Objects(Policy(25), Deployment(40)), Objects(Policy(25), Deployment(66))));

        Assert.Equal(26, need.Step);
    }

    [Fact]
    public void NewPinnedDeployment_StartsWhereItSays_AndNeedsNothing()
    {
        Assert.Empty(RolloutApprovals.Needed(Objects(Policy(25)), Objects(Policy(25), Deployment(100))));
    }

    [Fact]
    public void NoPolicy_NeedsNothing()
    {
        Assert.Empty(RolloutApprovals.Needed(Objects(Deployment(0)), Objects(Deployment(100))));
    }

    [Fact]
    public void PolicyWithoutRollouts_NeedsNothing()
    {
        Assert.Empty(RolloutApprovals.Needed(Objects(Policy(null), Deployment(0)), Objects(Policy(null), Deployment(100))));
    }

    [Fact]
    public void OnlyTheDeploymentsThatStepTooFar_NeedApproval()
    {
        var needs = RolloutApprovals.Needed(
            Objects(Policy(25), Deployment(0, "api"), Deployment(0, "web")),
            Objects(Policy(25), Deployment(20, "api"), Deployment(50, "web")));

        Assert.Equal(["PinnedDeployment/demo/web"], needs.Select(n => n.Object.Ref.Key));
    }

    [Fact]
    public void NoApproversListed_SaysSoInTheMessage()
    {
        var need = Assert.Single(RolloutApprovals.Needed(Objects(Policy(25, approvers: null), Deployment(0)), Objects(Policy(25, approvers: null), Deployment(100))));

        Assert.Empty(need.Approvers);
        Assert.EndsWith("it needs an approving review from one of: (no approvers are listed in the ClusterPolicy)", need.Describe(), StringComparison.Ordinal);
    }
}
