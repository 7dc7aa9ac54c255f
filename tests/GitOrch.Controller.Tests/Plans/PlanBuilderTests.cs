using GitOrch.Controller.Plans;
using GitOrch.Controller.Tests.Support;

namespace GitOrch.Controller.Tests.Plans;

/// <summary>
/// <c>gitorch plan</c>'s model and its terminal rendering, from two commits of a real git repo:
/// the base holds a PinnedDeployment web (5 replicas, 40 % on next) and a rollout policy
/// (maxStepPercent 25, approvers [sre-team]); each test commits one change on top.
/// </summary>
public sealed class PlanBuilderTests : IDisposable
{
    private const string Web = "apps/web.yaml";
    private const string NoWeakenings = "Security: no new weakenings.\n";
    private const string NoApproval = "Approval: not needed.\n";

    private readonly GitRepo _repo = GitRepo.Init();
    private string _base = string.Empty;
    private string _head = string.Empty;

    public void Dispose() => _repo.Dispose();

    private void CommitBase(string? web = null, string? allow = null)
    {
        _repo.Write(Web, web ?? Manifests.PinnedDeployment())
            .Write("cluster/policy.yaml", Manifests.RolloutPolicy(allow: allow));
        _base = _repo.Commit("Base");
    }

    private async Task<Plan> PlanAsync(Action<GitRepo> change)
    {
        change(_repo);
        _head = _repo.Commit("Head");
        return await PlanBuilder.BuildAsync(_repo.Root, _base, _head, null, CancellationToken.None);
    }

    private string Short(string sha) => sha[..12];

    [Fact]
    public async Task NoManifestChange_HasNoChanges_AndSaysSo()
    {
        CommitBase();

        var plan = await PlanAsync(r => r.Write("README.md", "notes\n"));

        Assert.True(plan.Valid);
        Assert.False(plan.HasChanges);
        Assert.Equal((_base, _head), (plan.Base, plan.Head));
        Assert.Equal($"No changes: {Short(_head)} declares the same objects as {Short(_base)}.\n", PlanRenderer.Text(plan));
    }

    [Fact]
    public async Task PercentNextStep_ListsExactlyThePodsThatMove()
    {
        CommitBase();

        var plan = await PlanAsync(r => r.Write(Web, Manifests.PinnedDeployment(percentNext: 60)));

        var obj = Assert.Single(plan.Objects);
        Assert.Equal(new FieldChange("spec.percentNext", "40", "60"), Assert.Single(obj.Fields));
        Assert.Equal([new PodChange("web-2", "~", "web-2: previous (1.16) → next (1.17), in place")], obj.Pods);
        Assert.Empty(plan.Approvals);
        Assert.Equal(
            "~ PinnedDeployment demo/web\n" +
            "    ~ spec.percentNext: 40 => 60\n" +
            "    Pods:\n" +
            "      web-2: previous (1.16) → next (1.17), in place\n" +
            "\n" +
            NoWeakenings +
            NoApproval +
            "\n" +
            "Plan: 0 to add, 1 to change, 0 to remove; 1 generated pod(s) change; no approval needed.\n",
            PlanRenderer.Text(plan));
    }

    [Fact]
    public async Task PercentNextStepBack_MovesPodsToPrevious()
    {
        CommitBase();

        var plan = await PlanAsync(r => r.Write(Web, Manifests.PinnedDeployment(percentNext: 20)));

        Assert.Equal(["web-1: next (1.17) → previous (1.16), in place"], Assert.Single(plan.Objects).Pods.Select(p => p.Description));
    }

    [Fact]
    public async Task NextTemplateChange_UpdatesOnlyTheNextPods_InPlace()
    {
        CommitBase();

        var plan = await PlanAsync(r => r.Write(Web, Manifests.PinnedDeployment(nextImage: "busybox:1.37")));

        Assert.Equal(
            "~ PinnedDeployment demo/web\n" +
            "    ~ spec.next.spec.containers[0].image: busybox:1.36 => busybox:1.37\n" +
            "    Pods:\n" +
            "      web-0: next (1.17) template changed (spec.containers[0].image busybox:1.36 → busybox:1.37), in place\n" +
            "      web-1: next (1.17) template changed (spec.containers[0].image busybox:1.36 → busybox:1.37), in place\n" +
            "\n" +
            NoWeakenings +
            NoApproval +
            "\n" +
            "Plan: 0 to add, 1 to change, 0 to remove; 2 generated pod(s) change; no approval needed.\n",
            PlanRenderer.Text(plan));
    }

    [Fact]
    public async Task At100Percent_SettingPreviousEqualToNext_ChangesTheDeploymentButNoPod()
    {
        CommitBase(Manifests.PinnedDeployment(percentNext: 100));

        var plan = await PlanAsync(r => r.Write(Web, Manifests.PinnedDeployment(percentNext: 100, previousVersion: "1.17", previousImage: "busybox:1.36")));

        var obj = Assert.Single(plan.Objects);
        Assert.Equal(["spec.previous.labels.version", "spec.previous.spec.containers[0].image"], obj.Fields.Select(f => f.Path));
        Assert.Empty(obj.Pods);
        Assert.EndsWith("Plan: 0 to add, 1 to change, 0 to remove; 0 generated pod(s) change; no approval needed.\n", PlanRenderer.Text(plan), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ScalingUp_CreatesPods_AndMovesThoseTheNewNextCountNeeds()
    {
        CommitBase(Manifests.PinnedDeployment(replicas: 3));

        // 3 × 40 % = 1.2 → 1 on next; 5 × 40 % = 2 on next: web-1 moves, web-3 and web-4 are new.
        var plan = await PlanAsync(r => r.Write(Web, Manifests.PinnedDeployment(replicas: 5)));

        Assert.Equal(["~", "+", "+"], Assert.Single(plan.Objects).Pods.Select(p => p.Action));
        Assert.Equal(
            "~ PinnedDeployment demo/web\n" +
            "    ~ spec.replicas: 3 => 5\n" +
            "    Pods:\n" +
            "      web-1: previous (1.16) → next (1.17), in place\n" +
            "      web-3: previous (1.16), created\n" +
            "      web-4: previous (1.16), created\n" +
            "\n" +
            NoWeakenings +
            NoApproval +
            "\n" +
            "Plan: 0 to add, 1 to change, 0 to remove; 3 generated pod(s) change; no approval needed.\n",
            PlanRenderer.Text(plan));
    }

    [Fact]
    public async Task ScalingDown_RemovesTheHighestOrdinals()
    {
        CommitBase(Manifests.PinnedDeployment(replicas: 5, percentNext: 100));

        var plan = await PlanAsync(r => r.Write(Web, Manifests.PinnedDeployment(replicas: 3, percentNext: 100)));

        Assert.Equal(["-", "-"], Assert.Single(plan.Objects).Pods.Select(p => p.Action));
        Assert.Equal(
            "~ PinnedDeployment demo/web\n" +
            "    ~ spec.replicas: 5 => 3\n" +
            "    Pods:\n" +
            "      web-3: next (1.17), removed\n" +
            "      web-4: next (1.17), removed\n" +
            "\n" +
            NoWeakenings +
            NoApproval +
            "\n" +
            "Plan: 0 to add, 1 to change, 0 to remove; 2 generated pod(s) change; no approval needed.\n",
            PlanRenderer.Text(plan));
    }

    [Fact]
    public async Task ScalingPast10_OrdersPodsByOrdinal_NotAlphabetically()
    {
        CommitBase(Manifests.PinnedDeployment(replicas: 9, percentNext: 0));

        var plan = await PlanAsync(r => r.Write(Web, Manifests.PinnedDeployment(replicas: 11, percentNext: 0)));

        Assert.Equal(["web-9", "web-10"], Assert.Single(plan.Objects).Pods.Select(p => p.Pod));
    }

    [Fact]
    public async Task AddedAndRemovedObjects_AreListedWithTheirPods()
    {
        _repo.Write("apps/worker.yaml", Manifests.Pod("worker")).Write("cluster/policy.yaml", Manifests.RolloutPolicy());
        _base = _repo.Commit("Base");

        var plan = await PlanAsync(r => r.Delete("apps/worker.yaml").Write("apps/api.yaml", Manifests.PinnedDeployment(name: "api", replicas: 2, percentNext: 50)));

        Assert.Equal(["+", "-"], plan.Objects.Select(o => o.Action));
        Assert.Equal(
            "+ PinnedDeployment demo/api\n" +
            "    Pods:\n" +
            "      api-0: next (1.17), created\n" +
            "      api-1: previous (1.16), created\n" +
            "- Pod demo/worker\n" +
            "\n" +
            NoWeakenings +
            NoApproval +
            "\n" +
            "Plan: 1 to add, 0 to change, 1 to remove; 2 generated pod(s) change; no approval needed.\n",
            PlanRenderer.Text(plan));
    }

    [Fact]
    public async Task RemovedDeployment_ListsItsPodsAsRemoved()
    {
        CommitBase(Manifests.PinnedDeployment(replicas: 2, percentNext: 50));

        var plan = await PlanAsync(r => r.Delete(Web));

        var obj = Assert.Single(plan.Objects);
        Assert.Equal("-", obj.Action);
        Assert.Equal(["web-0", "web-1"], obj.Pods.Select(p => p.Pod));
        Assert.Equal(["web-0: next (1.17), removed", "web-1: previous (1.16), removed"], obj.Pods.Select(p => p.Description));
    }

    [Fact]
    public async Task NewWeakening_IsInTheSecurityVerdict_WithItsException()
    {
        CommitBase(allow: "[\"runtime:process\"]");

        var plan = await PlanAsync(r => r.Write("apps/metrics.yaml", Manifests.ProcessPod("metrics")));

        Assert.Equal(new SecurityNote("Pod demo/metrics", "spec.runtime", "runtime:process", "runs on the process runtime (no container sandbox)"), Assert.Single(plan.Security));
        Assert.Equal(
            "+ Pod demo/metrics\n" +
            "\n" +
            "Security: adds weakenings (each permitted by a ClusterPolicy exception):\n" +
            "  Pod demo/metrics: spec.runtime runs on the process runtime (no container sandbox) (exception runtime:process)\n" +
            NoApproval +
            "\n" +
            "Plan: 1 to add, 0 to change, 0 to remove; 0 generated pod(s) change; no approval needed.\n",
            PlanRenderer.Text(plan));
    }

    [Fact]
    public async Task WeakeningInANextTemplate_IsNamedByItsPathInTheDeployment()
    {
        CommitBase(allow: "[\"runtime:process\"]");

        var plan = await PlanAsync(r => r.Write(Web, Manifests.PinnedDeployment(nextRuntime: "process")));

        Assert.Equal(new SecurityNote("PinnedDeployment demo/web", "spec.next.spec.runtime", "runtime:process", "runs on the process runtime (no container sandbox)"), Assert.Single(plan.Security));
    }

    [Fact]
    public async Task TemplateChangeThatAddsAField_ShowsTheMissingBeforeValue_NotABlank()
    {
        CommitBase(allow: "[\"runtime:process\"]");

        var plan = await PlanAsync(r => r.Write(Web, Manifests.PinnedDeployment(nextRuntime: "process")));

        // The fields list says "+ spec.next.spec.runtime: process" (text) or "_none_ → `process`"
        // (Markdown); the pod line must not render the absent value as nothing ("spec.runtime  → process").
        var pod = Assert.Single(plan.Objects).Pods[0];
        Assert.StartsWith("web-0: next (1.17) template changed (", pod.Description, StringComparison.Ordinal);
        Assert.DoesNotContain("  →", pod.Description, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WeakeningAlreadyAtBase_IsNotNew()
    {
        CommitBase(Manifests.PinnedDeployment(nextRuntime: "process"), allow: "[\"runtime:process\"]");

        var plan = await PlanAsync(r => r.Write(Web, Manifests.PinnedDeployment(percentNext: 60, nextRuntime: "process")));

        Assert.True(plan.HasChanges);
        Assert.Empty(plan.Security);
    }

    [Fact]
    public async Task StepLargerThanMaxStepPercent_NeedsApproval_NamingTheApprovers()
    {
        CommitBase();

        var plan = await PlanAsync(r => r.Write(Web, Manifests.PinnedDeployment(percentNext: 100)));

        var approval = Assert.Single(plan.Approvals);
        Assert.Equal(("PinnedDeployment demo/web", 40, 100, 60, 25), (approval.Object, approval.From, approval.To, approval.Step, approval.Limit));
        Assert.Equal(["sre-team"], approval.Approvers);
        Assert.Equal(
            "~ PinnedDeployment demo/web\n" +
            "    ~ spec.percentNext: 40 => 100\n" +
            "    Pods:\n" +
            "      web-2: previous (1.16) → next (1.17), in place\n" +
            "      web-3: previous (1.16) → next (1.17), in place\n" +
            "      web-4: previous (1.16) → next (1.17), in place\n" +
            "\n" +
            NoWeakenings +
            "Approval: NEEDED before merging:\n" +
            "  PinnedDeployment demo/web moves percentNext 40 → 100 (a step of 60), more than rollouts.maxStepPercent 25; it needs an approving review from one of: sre-team\n" +
            "\n" +
            "Plan: 0 to add, 1 to change, 0 to remove; 3 generated pod(s) change; 1 step(s) need approval.\n",
            PlanRenderer.Text(plan));
    }

    [Fact]
    public async Task Markdown_EscapesPipesInValues_SoTheTableKeepsItsThreeColumns()
    {
        _repo.Write("apps/worker.yaml", Manifests.Pod("worker"));
        _base = _repo.Commit("Base");

        var plan = await PlanAsync(r => r.Write("apps/worker.yaml", Manifests.Pod("worker", greeting: "\"a | b\"")));

        var row = Assert.Single(PlanRenderer.Markdown(plan).Split('\n'), l => l.StartsWith("| ~ | Pod demo/worker |", StringComparison.Ordinal));
        var separators = row.Where((c, i) => c == '|' && (i == 0 || row[i - 1] != '\\')).Count();
        Assert.True(separators == 4, $"a row of a three-column table has 4 unescaped pipes; got {separators}: {row}");
    }

    [Fact]
    public async Task InvalidHead_IsNotPlanned_AndListsPositionedErrors()
    {
        CommitBase();

        var plan = await PlanAsync(r => r.Write(Web, Manifests.PinnedDeployment(percentNext: 140)));

        Assert.False(plan.Valid);
        Assert.Empty(plan.Objects);
        Assert.Equal(
            $"Head {Short(_head)} is invalid; merging it would be rejected:\n" +
            "  apps/web.yaml:9:3: error GO1008: PinnedDeployment demo/web: spec.percentNext is 140; it must be at most 100\n",
            PlanRenderer.Text(plan));
    }

    [Fact]
    public async Task PathOption_PlansOnlyThatFolder_WithPathsRelativeToIt()
    {
        _repo.Write("deploy/apps/web.yaml", Manifests.PinnedDeployment()).Write("other/broken.yaml", "kind: [");
        _base = _repo.Commit("Base");
        _repo.Write("deploy/apps/web.yaml", Manifests.PinnedDeployment(percentNext: 60));
        _head = _repo.Commit("Head");

        var plan = await PlanBuilder.BuildAsync(_repo.Root, _base, _head, "deploy", CancellationToken.None);

        Assert.True(plan.Valid, string.Join('\n', plan.Diagnostics));
        Assert.Equal(["web-2: previous (1.16) → next (1.17), in place"], Assert.Single(plan.Objects).Pods.Select(p => p.Description));
    }

    [Fact]
    public async Task UnknownBase_FailsWithAMessageNamingTheRevision()
    {
        CommitBase();

        var ex = await Assert.ThrowsAsync<PlanException>(() => PlanBuilder.BuildAsync(_repo.Root, "no-such-branch", "HEAD", null, CancellationToken.None));

        Assert.Equal($"--base no-such-branch names no commit in {_repo.Git("rev-parse", "--show-toplevel").Trim()}; fetch it, or check the name", ex.Message);
    }
}
