using System.Text.Json;
using GitOrch.Controller.Tests.Support;

namespace GitOrch.Cli.Tests.Commands;

/// <summary>
/// <c>gitorch plan</c> in-process against a real git repo with two commits: the base holds web
/// (5 replicas, 40 % on next) and a policy (maxStepPercent 25, approvers [sre-team]).
/// </summary>
public sealed class PlanCommandTests : IDisposable
{
    private const string Web = "apps/web.yaml";

    private readonly GitRepo _repo = GitRepo.Init();
    private readonly string _base;

    public PlanCommandTests()
    {
        _repo.Write(Web, Manifests.PinnedDeployment()).Write("cluster/policy.yaml", Manifests.RolloutPolicy());
        _base = _repo.Commit("Base");
    }

    public void Dispose() => _repo.Dispose();

    private string CommitWeb(string manifest)
    {
        _repo.Write(Web, manifest);
        return _repo.Commit("Head");
    }

    private (int Exit, string Out, string Err) Plan(string head, params string[] more) =>
        CliRunner.Run(["plan", "--repo", _repo.Root, "--base", _base, "--head", head, .. more]);

    private string TopLevel => _repo.Git("rev-parse", "--show-toplevel").Trim();

    [Fact]
    public void NoChange_ExitsZero_AndSaysSo()
    {
        _repo.Write("README.md", "notes\n");
        var head = _repo.Commit("Docs only");

        var (exit, stdout, stderr) = Plan(head);

        Assert.Equal(0, exit);
        Assert.Equal($"No changes: {head[..12]} declares the same objects as {_base[..12]}.\n", stdout);
        Assert.Equal(string.Empty, stderr);
    }

    [Fact]
    public void PercentNextStep_ExitsTwo_ListingExactlyTheMovingPods()
    {
        var head = CommitWeb(Manifests.PinnedDeployment(percentNext: 60));

        var (exit, stdout, stderr) = Plan(head);

        Assert.Equal(2, exit);
        Assert.Equal(
            "~ PinnedDeployment demo/web\n" +
            "    ~ spec.percentNext: 40 => 60\n" +
            "    Pods:\n" +
            "      web-2: previous (1.16) → next (1.17), in place\n" +
            "\n" +
            "Security: no new weakenings.\n" +
            "Approval: not needed.\n" +
            "\n" +
            "Plan: 0 to add, 1 to change, 0 to remove; 1 generated pod(s) change; no approval needed.\n",
            stdout);
        Assert.Equal(string.Empty, stderr);
    }

    [Fact]
    public void HeadGivenAsABranchName_IsResolved()
    {
        _repo.Git("checkout", "--quiet", "-b", "rollout");
        CommitWeb(Manifests.PinnedDeployment(percentNext: 60));

        var (exit, stdout, _) = CliRunner.Run("plan", "--repo", _repo.Root, "--base", "main", "--head", "rollout");

        Assert.Equal(2, exit);
        Assert.Contains("      web-2: previous (1.16) → next (1.17), in place\n", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void LargeStep_InMarkdown_IsTheExactPullRequestComment()
    {
        var head = CommitWeb(Manifests.PinnedDeployment(percentNext: 100));

        var (exit, stdout, _) = Plan(head, "--output", "markdown");

        Assert.Equal(2, exit);
        Assert.Equal(
            $"### gitorch plan `{_base[..12]}..{head[..12]}`\n" +
            "\n" +
            "| | Object | Changes |\n" +
            "|---|---|---|\n" +
            "| ~ | PinnedDeployment demo/web | `spec.percentNext`: `40` → `100` |\n" +
            "\n" +
            "**Pods of PinnedDeployment demo/web**\n" +
            "\n" +
            "- web-2: previous (1.16) → next (1.17), in place\n" +
            "- web-3: previous (1.16) → next (1.17), in place\n" +
            "- web-4: previous (1.16) → next (1.17), in place\n" +
            "\n" +
            "**Security:** no new weakenings.\n" +
            "\n" +
            "**Approval:** :warning: needed before this can apply:\n" +
            "\n" +
            "- PinnedDeployment demo/web moves percentNext 40 → 100 (a step of 60), more than rollouts.maxStepPercent 25; it needs an approving review from one of: sre-team\n" +
            "\n" +
            "Plan: 0 to add, 1 to change, 0 to remove; 3 generated pod(s) change; 1 step(s) need approval.\n",
            stdout);
    }

    [Fact]
    public void Json_IsValid_WithChangesObjectsPodsAndApprovals()
    {
        var head = CommitWeb(Manifests.PinnedDeployment(percentNext: 100));

        var (exit, stdout, _) = Plan(head, "--output", "json");

        Assert.Equal(2, exit);
        using var doc = JsonDocument.Parse(stdout);
        var root = doc.RootElement;
        Assert.Equal(_base, root.GetProperty("base").GetString());
        Assert.Equal(head, root.GetProperty("head").GetString());
        Assert.True(root.GetProperty("valid").GetBoolean());
        Assert.True(root.GetProperty("hasChanges").GetBoolean());
        Assert.Equal(0, root.GetProperty("diagnostics").GetArrayLength());
        var obj = Assert.Single(root.GetProperty("objects").EnumerateArray());
        Assert.Equal(("~", "PinnedDeployment", "demo", "web"),
            (obj.GetProperty("action").GetString(), obj.GetProperty("kind").GetString(), obj.GetProperty("namespace").GetString(), obj.GetProperty("name").GetString()));
        var field = Assert.Single(obj.GetProperty("fields").EnumerateArray());
        Assert.Equal(("spec.percentNext", "40", "100"), (field.GetProperty("path").GetString(), field.GetProperty("before").GetString(), field.GetProperty("after").GetString()));
        Assert.Equal(
            [
                ("web-2", "~", "web-2: previous (1.16) → next (1.17), in place"),
                ("web-3", "~", "web-3: previous (1.16) → next (1.17), in place"),
                ("web-4", "~", "web-4: previous (1.16) → next (1.17), in place"),
            ],
            obj.GetProperty("pods").EnumerateArray().Select(p => (p.GetProperty("pod").GetString(), p.GetProperty("action").GetString(), p.GetProperty("description").GetString())));
        Assert.Equal(0, root.GetProperty("security").GetArrayLength());
        var approval = Assert.Single(root.GetProperty("approvals").EnumerateArray());
        Assert.Equal((40, 100, 60, 25), (approval.GetProperty("from").GetInt32(), approval.GetProperty("to").GetInt32(), approval.GetProperty("step").GetInt32(), approval.GetProperty("limit").GetInt32()));
        Assert.Equal(["sre-team"], approval.GetProperty("approvers").EnumerateArray().Select(a => a.GetString()));
    }

    [Fact]
    public void Json_OfNoChange_HasNoChanges_AndExitsZero()
    {
        _repo.Write("README.md", "notes\n");
        var head = _repo.Commit("Docs only");

        var (exit, stdout, _) = Plan(head, "--output", "json");

        Assert.Equal(0, exit);
        using var doc = JsonDocument.Parse(stdout);
        Assert.False(doc.RootElement.GetProperty("hasChanges").GetBoolean());
        Assert.Equal(0, doc.RootElement.GetProperty("objects").GetArrayLength());
    }

    [Fact]
    public void InvalidHead_ExitsOne_WithPositionedDiagnostics()
    {
        _repo.Write("apps/api.yaml", Manifests.PinnedDeployment(name: "api", percentNext: 140)).Write("apps/web-3.yaml", Manifests.Pod("web-3"));
        var head = _repo.Commit("Broken");

        var (exit, stdout, _) = Plan(head);

        Assert.Equal(1, exit);
        Assert.Equal(
            $"Head {head[..12]} is invalid; merging it would be rejected:\n" +
            "  apps/api.yaml:9:3: error GO1008: PinnedDeployment demo/api: spec.percentNext is 140; it must be at most 100\n" +
            "  apps/web-3.yaml:4:3: error GO3005: Pod demo/web-3: is generated by PinnedDeployment demo/web (at apps/web.yaml:1:1) and owned by control loop pinned-deployment; remove this manifest and change the PinnedDeployment instead\n",
            stdout);
    }

    [Fact]
    public void InvalidHead_InJson_ExitsOne_WithDiagnostics()
    {
        var head = CommitWeb(Manifests.PinnedDeployment(percentNext: 140));

        var (exit, stdout, _) = Plan(head, "--output", "json");

        Assert.Equal(1, exit);
        using var doc = JsonDocument.Parse(stdout);
        Assert.False(doc.RootElement.GetProperty("valid").GetBoolean());
        var d = Assert.Single(doc.RootElement.GetProperty("diagnostics").EnumerateArray());
        Assert.Equal(("apps/web.yaml", 9, 3, "error", "GO1008", "PinnedDeployment/demo/web"),
            (d.GetProperty("file").GetString(), d.GetProperty("line").GetInt32(), d.GetProperty("column").GetInt32(),
             d.GetProperty("severity").GetString(), d.GetProperty("code").GetString(), d.GetProperty("object").GetString()));
    }

    [Fact]
    public void UnknownBase_ExitsOne_WithAClearMessage()
    {
        var head = CommitWeb(Manifests.PinnedDeployment(percentNext: 60));

        var (exit, stdout, stderr) = CliRunner.Run("plan", "--repo", _repo.Root, "--base", "origin/nope", "--head", head);

        Assert.Equal(1, exit);
        Assert.Equal(string.Empty, stdout);
        Assert.Equal($"gitorch: --base origin/nope names no commit in {TopLevel}; fetch it, or check the name\n", stderr);
    }

    [Fact]
    public void UnknownHead_ExitsOne_WithAClearMessage()
    {
        var (exit, stdout, stderr) = CliRunner.Run("plan", "--repo", _repo.Root, "--base", _base, "--head", "0123456789abcdef0123456789abcdef01234567");

        Assert.Equal(1, exit);
        Assert.Equal(string.Empty, stdout);
        Assert.Equal($"gitorch: --head 0123456789abcdef0123456789abcdef01234567 names no commit in {TopLevel}; fetch it, or check the name\n", stderr);
    }

    [Fact]
    public void RepoThatIsNotAGitRepository_ExitsOne_SayingWhatToGive()
    {
        using var plain = new TempDir("gitorch-plain");

        var (exit, stdout, stderr) = CliRunner.Run("plan", "--repo", plain.Path, "--base", "main", "--head", "main");

        Assert.Equal(1, exit);
        Assert.Equal(string.Empty, stdout);
        Assert.Equal($"gitorch: {plain.Path} is not in a git repository; give --repo the config repo's clone\n", stderr);
    }

    [Fact]
    public void MissingBase_IsAUsageError()
    {
        var (exit, _, stderr) = CliRunner.Run("plan", "--repo", _repo.Root, "--head", "main");

        Assert.Equal(1, exit);
        Assert.Contains("--base", stderr, StringComparison.Ordinal);
    }
}
