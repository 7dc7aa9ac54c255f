using System.Text.Json.Nodes;
using GitOrch.Controller.Loops;
using GitOrch.Controller.Tests.Support;
using GitOrch.Core.Diagnostics;
using GitOrch.Core.Manifests;
using GitOrch.Core.Schema;
using GitOrch.History;
using GitOrch.Workflow.Model;
using Microsoft.Extensions.Logging.Abstractions;
using static GitOrch.Controller.Tests.Support.Controllers;

namespace GitOrch.Controller.Tests.Loops;

/// <summary>
/// The pinned-deployment loop through a real controller on a real git repo. There is no node
/// agent: the test plays the runtime loop by writing <c>status.phase</c> (what the runtime loop
/// writes), and a manual clock decides when the loop's requeued step runs again.
/// </summary>
public sealed class PinnedDeploymentLoopTests : IDisposable
{
    private const string File = "apps/web.yaml";
    private const string Loop = "control-loop/pinned-deployment";
    private static readonly ObjectRef Deployment = new("PinnedDeployment", "demo", "web");
    private static readonly string[] MoveFields = ["metadata.labels.version", "metadata.labels.gitorch.dev/track", "spec.containers[0].image"];
    private static readonly string[] ImageField = ["spec.containers[0].image"];

    private readonly GitRepo _repo = GitRepo.Init();
    private readonly TempDir _state = new("gitorch-state");
    private readonly ManualTime _time = new();

    public void Dispose()
    {
        _repo.Dispose();
        _state.Dispose();
    }

    private Task<ControllerService> OpenAsync() =>
        ControllerService.OpenAsync(Options(_repo.Root, _state.Path), NullLoggerFactory.Instance, _time, CancellationToken.None);

    /// <summary>Commits the PinnedDeployment, applies it, marks every pod Running and lets the loop see that.</summary>
    private async Task<ControllerService> StartRunningAsync(string manifest)
    {
        _repo.Write(File, manifest);
        _repo.Commit("Add web");
        var controller = await OpenAsync();
        try
        {
            await controller.SyncAsync();
            MarkAll(controller, "Running");

            // The pods' writes wake the step: the clock does not move.
            await UntilAsync(controller, () => DeploymentStep(controller).State == UnitState.Done, "the pinned-deployment step is done");
            return controller;
        }
        catch
        {
            await controller.DisposeAsync();
            throw;
        }
    }

    private static Unit DeploymentStep(ControllerService controller) =>
        controller.Workflows.Engine.Current(Deployment)?.Find("pinned-deployment") ?? throw new InvalidOperationException("no pinned-deployment step for " + Deployment);

    /// <summary>Lets the clock pass the loop's requeue delay, waits until its step ran again, then until no step runs.</summary>
    private async Task RunDeploymentStepAgainAsync(ControllerService controller)
    {
        var step = DeploymentStep(controller);
        Assert.True(step.State == UnitState.Waiting, $"the pinned-deployment step is {step.State}: {step.Message}");
        var attempts = step.Attempts;
        _time.Advance(PinnedDeploymentLoop.WaitForPods + TimeSpan.FromMilliseconds(100)); // Past the due time, with room for the clock the step read being a little behind this one.
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (DeploymentStep(controller).Attempts == attempts)
        {
            Assert.False(limit.IsCancellationRequested, $"the pinned-deployment step did not run again within 30 s: {DeploymentStep(controller).Message}");
            await Task.Delay(10, CancellationToken.None);
        }

        await controller.Workflows.Engine.WhenQuietAsync(limit.Token);
    }

    /// <summary>
    /// Reports <paramref name="phase"/> for <paramref name="pod"/> as the runtime loop does and waits,
    /// without moving the clock, until the pinned-deployment step ran again: the pod's write wakes it.
    /// </summary>
    private static async Task ReportAsync(ControllerService controller, string pod, string phase)
    {
        var attempts = DeploymentStep(controller).Attempts;
        MarkPhase(controller, pod, phase);
        await UntilAsync(controller, () => DeploymentStep(controller).Attempts > attempts, $"the pinned-deployment step ran again after {pod} reported {phase}");
    }

    /// <summary>Waits (in real time, up to 30 s; the fake clock stands still) until <paramref name="condition"/> holds, then until no step runs.</summary>
    private static async Task UntilAsync(ControllerService controller, Func<bool> condition, string what)
    {
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (!condition())
        {
            Assert.False(limit.IsCancellationRequested, $"not within 30 s: {what} ({DeploymentStep(controller).State}: {DeploymentStep(controller).Message})");
            await Task.Delay(10, CancellationToken.None);
        }

        await controller.Workflows.Engine.WhenQuietAsync(limit.Token);
    }

    /// <summary>What the runtime loop writes when a node reports a pod's phase.</summary>
    private static void MarkPhase(ControllerService controller, string pod, string phase) =>
        controller.Writer.Update(PodRef(pod), "runtime", null, $"runtime: test reports {phase}", current =>
        {
            if (current["status"] is not JsonObject status)
            {
                status = [];
                current["status"] = status;
            }

            if ((string?)status["phase"] == phase)
            {
                return [];
            }

            status["phase"] = phase;
            return ["status.phase"];
        });

    private static void MarkAll(ControllerService controller, string phase)
    {
        foreach (var pod in controller.Store.List("Pod", "demo"))
        {
            MarkPhase(controller, pod.Ref.Name, phase);
        }
    }

    private static JsonObject Pod(ControllerService controller, string name) => ManifestJson.Parse(controller.Store.Get(PodRef(name))!.ObjectJson);

    private static string? Track(ControllerService controller, string name) => (string?)Pod(controller, name)["metadata"]!["labels"]!["gitorch.dev/track"];

    private static string? Image(ControllerService controller, string name) => (string?)Pod(controller, name).SelectPath("spec.containers[0].image");

    private static IReadOnlyList<string> PodNames(ControllerService controller) => controller.Store.List("Pod", "demo").Select(p => p.Ref.Name).ToList();

    private static Dictionary<string, int> VersionCounts(ControllerService controller) =>
        controller.Store.List("Pod", "demo", includeDeleted: true).ToDictionary(p => p.Ref.Name, p => controller.Store.History(p.Ref).Count);

    private static JsonObject DeploymentStatus(ControllerService controller) =>
        (JsonObject)ManifestJson.Parse(controller.Store.Get(Deployment)!.ObjectJson)["status"]!;

    private static string[] Updating(ControllerService controller) =>
        DeploymentStatus(controller)["updating"]!.AsArray().Select(t => (string)t!).ToArray();

    [Fact]
    public async Task Creates_NameDashOrdinalPods_FirstNextCountOnNext_EachAMechanicalVersionOneWithNoFile()
    {
        _repo.Write(File, Manifests.PinnedDeployment(replicas: 5, percentNext: 40));
        var sha = _repo.Commit("Add web");
        await using var controller = await OpenAsync();

        await controller.SyncAsync();

        Assert.Equal(["web-0", "web-1", "web-2", "web-3", "web-4"], PodNames(controller));
        Assert.Equal(["next", "next", "previous", "previous", "previous"], PodNames(controller).Select(n => Track(controller, n)));
        Assert.Equal(["busybox:1.36", "busybox:1.36", "busybox:1.35", "busybox:1.35", "busybox:1.35"], PodNames(controller).Select(n => Image(controller, n)));
        foreach (var name in PodNames(controller))
        {
            var version = Assert.Single(controller.Store.History(PodRef(name)));
            Assert.Equal(1, version.Version);
            Assert.Equal(Loop, version.Changer);
            Assert.Equal(ChangeKind.Mechanical, version.Kind);
            Assert.Equal(sha, version.SourceCommit);
            Assert.False(version.Deleted);
            Assert.Null(controller.Store.Get(PodRef(name))!.File);
            Assert.Equal("web", (string?)Pod(controller, name)["metadata"]!["labels"]!["gitorch.dev/pinned-deployment"]);
            Assert.Equal("web", (string?)Pod(controller, name)["metadata"]!["labels"]!["app"]);
        }
    }

    [Fact]
    public async Task WhenEveryPodRuns_TheStepIsDone_AndTheStatusCountsThem()
    {
        await using var controller = await StartRunningAsync(Manifests.PinnedDeployment(replicas: 5, percentNext: 40));

        var expected = ManifestJson.Parse("""{"replicas": 5, "nextCount": 2, "previousCount": 3, "readyReplicas": 5, "updating": []}""");
        Assert.True(JsonNode.DeepEquals(expected, DeploymentStatus(controller)), DeploymentStatus(controller).ToString());
    }

    [Fact]
    public async Task RaisingPercentNext_40To60_ChangesExactlyWeb2_InPlace()
    {
        await using var controller = await StartRunningAsync(Manifests.PinnedDeployment(replicas: 5, percentNext: 40));
        var before = VersionCounts(controller);

        _repo.Write(File, Manifests.PinnedDeployment(replicas: 5, percentNext: 60));
        var sha = _repo.Commit("web: 60% on 1.17");
        await controller.SyncAsync();

        Assert.Equal(["web-0", "web-1", "web-2", "web-3", "web-4"], PodNames(controller));
        var after = VersionCounts(controller);
        Assert.Equal(before["web-2"] + 1, after["web-2"]);
        foreach (var other in new[] { "web-0", "web-1", "web-3", "web-4" })
        {
            Assert.Equal(before[other], after[other]);
        }

        var move = controller.Store.History(PodRef("web-2"))[^1];
        Assert.Equal(Loop, move.Changer);
        Assert.Equal(ChangeKind.Mechanical, move.Kind);
        Assert.Equal(sha, move.SourceCommit);
        Assert.Equal(MoveFields, move.Fields);
        Assert.False(move.Deleted);
        Assert.Equal("next", Track(controller, "web-2"));
        Assert.Equal("busybox:1.36", Image(controller, "web-2"));
        Assert.Equal("1.17", (string?)Pod(controller, "web-2")["metadata"]!["labels"]!["version"]);
        Assert.DoesNotContain(controller.Store.List("Pod", "demo", includeDeleted: true), p => controller.Store.History(p.Ref).Any(v => v.Deleted));
    }

    [Fact]
    public async Task MaxUnavailableOne_MovesOnePodAtATime_TheNextWaitsUntilTheMovedOneRunsAgain()
    {
        await using var controller = await StartRunningAsync(Manifests.PinnedDeployment(replicas: 3, percentNext: 0));

        _repo.Write(File, Manifests.PinnedDeployment(replicas: 3, percentNext: 100));
        _repo.Commit("web: all on 1.17");
        await controller.SyncAsync();

        Assert.Equal(["next", "previous", "previous"], PodNames(controller).Select(n => Track(controller, n)));
        Assert.Equal(["web-0", "web-1 (queued)", "web-2 (queued)"], Updating(controller));

        // The runtime loop restarts web-0 with its new definition: it is not running for a while.
        await ReportAsync(controller, "web-0", "Pending");
        Assert.Equal(["next", "previous", "previous"], PodNames(controller).Select(n => Track(controller, n)));
        Assert.Equal(["web-0", "web-1 (queued)", "web-2 (queued)"], Updating(controller));

        await ReportAsync(controller, "web-0", "Running");
        Assert.Equal(["next", "next", "previous"], PodNames(controller).Select(n => Track(controller, n)));
        Assert.Equal(["web-1", "web-2 (queued)"], Updating(controller));

        await ReportAsync(controller, "web-1", "Pending");
        Assert.Equal("previous", Track(controller, "web-2"));

        await ReportAsync(controller, "web-1", "Running");
        Assert.Equal(["next", "next", "next"], PodNames(controller).Select(n => Track(controller, n)));
        Assert.Equal(["web-2"], Updating(controller));

        await ReportAsync(controller, "web-2", "Pending"); // As the runtime does for every new definition.
        await ReportAsync(controller, "web-2", "Running");
        Assert.Equal(UnitState.Done, DeploymentStep(controller).State);
        Assert.Empty(Updating(controller));
        Assert.Equal(3, (int)DeploymentStatus(controller)["readyReplicas"]!);
        foreach (var name in PodNames(controller))
        {
            Assert.Single(controller.Store.History(PodRef(name)), v => v.Changer == Loop && v.Fields.Contains("metadata.labels.gitorch.dev/track"));
        }
    }

    [Fact]
    public async Task MovedPod_WhoseRunningPhaseIsFromItsPreviousDefinition_DoesNotLetTheNextPodMove()
    {
        // Right after web-0 moves in place it still carries status.phase Running, written for its
        // previous definition; the runtime loop has not run the new one yet (its image may still be
        // pulling). The loop must not count web-0 as available: web-1 stays queued.
        await using var controller = await StartRunningAsync(Manifests.PinnedDeployment(replicas: 3, percentNext: 0));
        _repo.Write(File, Manifests.PinnedDeployment(replicas: 3, percentNext: 100));
        _repo.Commit("web: all on 1.17");
        await controller.SyncAsync();
        Assert.Equal(["next", "previous", "previous"], PodNames(controller).Select(n => Track(controller, n)));

        await RunDeploymentStepAgainAsync(controller);

        Assert.Equal(["next", "previous", "previous"], PodNames(controller).Select(n => Track(controller, n)));
        Assert.Equal(["web-0", "web-1 (queued)", "web-2 (queued)"], Updating(controller));
    }

    [Fact]
    public async Task ScalingDown_RemovesTheHighestOrdinals_WithDeletionVersions_AndScalingUp_AddsThemBack()
    {
        await using var controller = await StartRunningAsync(Manifests.PinnedDeployment(replicas: 5, percentNext: 100));
        var before = VersionCounts(controller);

        _repo.Write(File, Manifests.PinnedDeployment(replicas: 3, percentNext: 100));
        var down = _repo.Commit("web: 3 replicas");
        await controller.SyncAsync();

        Assert.Equal(["web-0", "web-1", "web-2"], PodNames(controller));
        foreach (var gone in new[] { "web-3", "web-4" })
        {
            var history = controller.Store.History(PodRef(gone));
            Assert.Equal(before[gone] + 1, history.Count);
            Assert.True(history[^1].Deleted);
            Assert.Equal(Loop, history[^1].Changer);
            Assert.Equal(down, history[^1].SourceCommit);
            Assert.True(controller.Store.Get(PodRef(gone))!.Deleted);
        }

        foreach (var kept in new[] { "web-0", "web-1", "web-2" })
        {
            Assert.Equal(before[kept], controller.Store.History(PodRef(kept)).Count);
        }

        _repo.Write(File, Manifests.PinnedDeployment(replicas: 4, percentNext: 100));
        var up = _repo.Commit("web: 4 replicas");
        await controller.SyncAsync();

        Assert.Equal(["web-0", "web-1", "web-2", "web-3"], PodNames(controller));
        var added = controller.Store.History(PodRef("web-3"))[^1];
        Assert.False(added.Deleted);
        Assert.Equal(Loop, added.Changer);
        Assert.Equal(up, added.SourceCommit);
        Assert.Equal("next", Track(controller, "web-3"));
        Assert.Equal("busybox:1.36", Image(controller, "web-3"));
        Assert.True(controller.Store.Get(PodRef("web-4"))!.Deleted);
        foreach (var kept in new[] { "web-0", "web-1", "web-2" })
        {
            Assert.Equal(before[kept], controller.Store.History(PodRef(kept)).Count);
        }
    }

    [Fact]
    public async Task ChangingTheNextTemplate_UpdatesOnlyTheNextPods_InPlace()
    {
        await using var controller = await StartRunningAsync(Manifests.PinnedDeployment(replicas: 5, percentNext: 40, maxUnavailable: 2));
        var before = VersionCounts(controller);

        _repo.Write(File, Manifests.PinnedDeployment(replicas: 5, percentNext: 40, maxUnavailable: 2, nextImage: "busybox:1.37"));
        var sha = _repo.Commit("web: next is busybox 1.37");
        await controller.SyncAsync();

        foreach (var name in new[] { "web-0", "web-1" })
        {
            var history = controller.Store.History(PodRef(name));
            Assert.Equal(before[name] + 1, history.Count);
            Assert.Equal(Loop, history[^1].Changer);
            Assert.Equal(sha, history[^1].SourceCommit);
            Assert.Equal(ImageField, history[^1].Fields);
            Assert.Equal("busybox:1.37", Image(controller, name));
            Assert.Equal("next", Track(controller, name));
        }

        foreach (var name in new[] { "web-2", "web-3", "web-4" })
        {
            Assert.Equal(before[name], controller.Store.History(PodRef(name)).Count);
            Assert.Equal("busybox:1.35", Image(controller, name));
        }
    }

    [Fact]
    public async Task At100Percent_SettingPreviousEqualToNext_ChangesNoPod()
    {
        await using var controller = await StartRunningAsync(Manifests.PinnedDeployment(replicas: 3, percentNext: 100));
        var before = VersionCounts(controller);

        _repo.Write(File, Manifests.PinnedDeployment(replicas: 3, percentNext: 100, previousVersion: "1.17", previousImage: "busybox:1.36"));
        var sha = _repo.Commit("web: 1.17 is now the previous version too");
        await controller.SyncAsync();

        Assert.Equal(sha, controller.Status.LastApplied);
        Assert.Equal(before, VersionCounts(controller));
        Assert.Equal(UnitState.Done, DeploymentStep(controller).State);
        Assert.Empty(Updating(controller));
    }

    [Fact]
    public async Task DeletingTheDeploymentsFile_DeletesItsPods()
    {
        await using var controller = await StartRunningAsync(Manifests.PinnedDeployment(replicas: 3, percentNext: 40));
        _repo.Write("apps/other.yaml", Manifests.Pod("other"));
        _repo.Commit("Add other");
        await controller.SyncAsync();

        _repo.Delete(File);
        var sha = _repo.Commit("Remove web");
        await controller.SyncAsync();

        Assert.True(controller.Store.Get(Deployment)!.Deleted);
        Assert.Equal(["other"], PodNames(controller));
        foreach (var name in new[] { "web-0", "web-1", "web-2" })
        {
            var last = controller.Store.History(PodRef(name))[^1];
            Assert.True(last.Deleted);
            Assert.Equal(Loop, last.Changer);
            Assert.Equal(ChangeKind.Mechanical, last.Kind);
            Assert.Equal(sha, last.SourceCommit);
        }
    }

    [Fact]
    public async Task Rejects_GitPodManifestNamedLikeAGeneratedPod_GO3005_NamingTheDeployment()
    {
        await using var controller = await StartRunningAsync(Manifests.PinnedDeployment(replicas: 5, percentNext: 40));
        var before = VersionCounts(controller);

        _repo.Write("apps/web-3.yaml", Manifests.Pod("web-3"));
        var sha = _repo.Commit("Define web-3 by hand");
        await controller.SyncAsync();

        var commit = controller.Store.FindCommit(sha)!;
        Assert.Equal(CommitRecord.Rejected, commit.State);
        var diagnostic = Assert.Single(commit.Diagnostics, d => d.IsError);
        Assert.Equal(("apps/web-3.yaml", 4, 3, "GO3005"), (diagnostic.File, diagnostic.Line, diagnostic.Column, diagnostic.Code));
        Assert.Equal(
            "Pod demo/web-3: is generated by PinnedDeployment demo/web (at apps/web.yaml:1:1) and owned by control loop pinned-deployment; remove this manifest and change the PinnedDeployment instead",
            diagnostic.Message);
        Assert.NotEqual(sha, controller.Status.LastApplied);
        Assert.Equal(before, VersionCounts(controller));
        Assert.Null(controller.Store.Get(PodRef("web-3"))!.File);
    }

    [Fact]
    public async Task GitPodCarryingTheDeploymentsLabel_IsNeverWrittenByTheLoop()
    {
        // A Git pod that borrows the label gitorch.dev/pinned-deployment is Git's, not the loop's:
        // the loop may not delete it as a surplus ordinal (rejecting the label in Git would do too).
        _repo.Write("apps/helper.yaml", Manifests.Pod("helper").Replace("  namespace: demo\n", "  namespace: demo\n  labels: {gitorch.dev/pinned-deployment: web}\n", StringComparison.Ordinal));
        _repo.Write(File, Manifests.PinnedDeployment(replicas: 2, percentNext: 50));
        _repo.Commit("Add web and a helper");
        await using var controller = await OpenAsync();

        await controller.SyncAsync();

        Assert.DoesNotContain(controller.Store.History(PodRef("helper")), v => v.Changer == Loop);
    }
}
