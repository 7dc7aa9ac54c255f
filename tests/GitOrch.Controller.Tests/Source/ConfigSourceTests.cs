using GitOrch.Controller.Tests.Support;
using GitOrch.History;
using GitOrch.History.Mirror;
using static GitOrch.Controller.Tests.Support.Controllers;

namespace GitOrch.Controller.Tests.Source;

/// <summary>Where the config comes from: a folder inside a repo, a followed branch, a remote URL.</summary>
public sealed class ConfigSourceTests : IDisposable
{
    private readonly GitRepo _repo = GitRepo.Init();
    private readonly TempDir _state = new("gitorch-state");

    public void Dispose()
    {
        _repo.Dispose();
        _state.Dispose();
    }

    /// <summary>Manifests under config/, and a file outside it that is not a valid manifest.</summary>
    private string CommitRepoWithConfigFolder()
    {
        _repo.Write("config/apps/worker.yaml", Manifests.Pod("worker"))
            .Write("ci/pipeline.yaml", "stages: [build, test]\n")
            .Write("other.yaml", "this: is not a manifest\n");
        return _repo.Commit("Config in a folder");
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task FolderInsideARepo_OnlyItsManifestsAreRead_AndDiagnosticsAreRelativeToIt(bool repoPointsAtFolder)
    {
        var first = CommitRepoWithConfigFolder();
        var options = repoPointsAtFolder
            ? Options(Path.Combine(_repo.Root, "config"), _state.Path)
            : Options(_repo.Root, _state.Path) with { Path = "config" };
        await using var controller = await Controllers.OpenAsync(options);

        await controller.SyncAsync();

        Assert.Equal(first, controller.Status.LastApplied);
        Assert.Equal("config", controller.Status.Path);
        Assert.Equal(1, controller.Reconciler.FilesParsed);
        var stored = Assert.Single(controller.Store.List());
        Assert.Equal(PodRef("worker"), stored.Ref);
        Assert.Equal("apps/worker.yaml", stored.File);

        _repo.Write("ci/pipeline.yaml", "stages: [build, test, deploy]\n");
        var outside = _repo.Commit("CI only");
        await controller.SyncAsync();
        Assert.Equal(1, controller.Reconciler.FilesParsed);
        Assert.Equal(outside, controller.Status.LastApplied);

        _repo.Write("config/apps/worker.yaml", Manifests.PodWithUnknownField("worker"));
        var bad = _repo.Commit("Broken worker");
        await controller.SyncAsync();

        var record = controller.Store.FindCommit(bad)!;
        Assert.Equal(CommitRecord.Rejected, record.State);
        var diagnostic = Assert.Single(record.Diagnostics);
        Assert.Equal(("apps/worker.yaml", 7, 3, "GO1004"), (diagnostic.File, diagnostic.Line, diagnostic.Column, diagnostic.Code));
        Assert.Equal(outside, controller.Status.LastApplied);
    }

    [Fact]
    public async Task DeletedBranch_FailsTheCycleNamingTheBranch_AndRecreatingItRecovers()
    {
        _repo.Write("apps/worker.yaml", Manifests.Pod("worker"));
        var first = _repo.Commit("Worker");
        await using var controller = await Controllers.OpenAsync(_repo.Root, _state.Path);
        await controller.SyncAsync();

        _repo.Git("checkout", "--quiet", "-b", "side");
        _repo.Git("branch", "-D", "main");
        var ok = await controller.SyncOnceAsync(CancellationToken.None);

        Assert.False(ok);
        Assert.Equal($"branch main no longer exists in {_repo.Root}; the cluster stays on the last applied commit until it comes back", controller.Status.LastError);
        Assert.Equal(first, controller.Status.LastApplied);
        Assert.Single(controller.Store.History(PodRef("worker")));

        _repo.Write("apps/worker.yaml", Manifests.Pod("worker", greeting: "back"));
        var second = _repo.Commit("Back again");
        _repo.Git("branch", "main", second);
        await controller.SyncAsync();

        Assert.Null(controller.Status.LastError);
        Assert.Equal(second, controller.Status.LastApplied);
        Assert.Equal(second, controller.Status.Head);
        Assert.Equal(2, controller.Store.History(PodRef("worker")).Count);
    }

    [Fact]
    public async Task RemoteRepo_IsFetched_AndTheHistoryMirrorIsPushedBackToIt()
    {
        _repo.Write("apps/worker.yaml", Manifests.Pod("worker"));
        var first = _repo.Commit("Worker");
        var url = "file://" + _repo.Root;
        await using var controller = await Controllers.OpenAsync(url, _state.Path, Node("node-a"));

        await controller.SyncAsync();

        Assert.Equal(url, controller.Status.Repo);
        Assert.Equal("main", controller.Status.Branch);
        Assert.Equal(first, controller.Status.Head);
        Assert.Equal(first, controller.Status.LastApplied);
        Assert.Null(controller.Status.MirrorError);
        var cache = Path.Combine(_state.Path, "source.git");
        var mirrored = GitRepo.RunGit(cache, "rev-parse", HistoryMirror.Ref).Output.Trim();
        Assert.Matches("^[0-9a-f]{40}$", mirrored);
        Assert.Equal(mirrored, _repo.RevParse(HistoryMirror.Ref));
        Assert.Equal(string.Empty, _repo.Git("merge-base", "--is-ancestor", first, HistoryMirror.Ref));

        _repo.Write("apps/worker.yaml", Manifests.Pod("worker", greeting: "bonjour"));
        var second = _repo.Commit("French", "alice@example.com");
        await controller.SyncAsync();

        Assert.Equal(second, controller.Status.LastApplied);
        Assert.Equal(second, _repo.RevParse(HistoryMirror.Ref + "^2"));
        // The new commit continues the pushed mirror (the scheduler's placement from the first cycle may
        // land in between: workflows run on after a cycle's mirror step).
        Assert.Equal(string.Empty, _repo.Git("merge-base", "--is-ancestor", mirrored, HistoryMirror.Ref + "^1"));
        Assert.Equal("main", _repo.Git("symbolic-ref", "--short", "HEAD").Trim());
        Assert.Equal(second, _repo.Head());
    }

    [Fact]
    public async Task UnreachableRemote_FailsTheCycleWithAClearError_NotAnException()
    {
        var url = "file:///nonexistent-gitorch-" + Guid.NewGuid().ToString("N");
        await using var controller = await Controllers.OpenAsync(url, _state.Path);

        var ok = await controller.SyncOnceAsync(CancellationToken.None);

        Assert.False(ok);
        var error = controller.Status.LastError!;
        Assert.StartsWith($"cannot fetch main from {url}: git fetch --quiet --no-tags failed (exit 128): ", error, StringComparison.Ordinal);
        Assert.EndsWith("; the cluster stays on the last applied commit, and gitorch keeps trying", error, StringComparison.Ordinal);
        Assert.Null(controller.Status.LastApplied);
        Assert.Empty(controller.Store.List());
    }

    [Fact]
    public async Task RemoteWithoutTheFollowedBranch_SaysTheBranchDoesNotExist()
    {
        _repo.Write("apps/worker.yaml", Manifests.Pod("worker"));
        _repo.Commit("Worker");
        var url = "file://" + _repo.Root;
        await using var controller = await Controllers.OpenAsync(Options(url, _state.Path) with { Branch = "prod" });

        var ok = await controller.SyncOnceAsync(CancellationToken.None);

        Assert.False(ok);
        Assert.Equal($"branch prod does not exist in {url}; the cluster stays on the last applied commit, and gitorch keeps trying", controller.Status.LastError);
    }
}
