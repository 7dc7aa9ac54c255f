using GitOrch.Controller.Tests.Support;
using GitOrch.History.Mirror;
using GitOrch.History.Store;
using static GitOrch.Controller.Tests.Support.Controllers;

namespace GitOrch.Controller.Tests;

/// <summary>The main cycle around the reconciler: the Git history mirror, history GC, the state lock.</summary>
public sealed class ControllerServiceTests : IDisposable
{
    private readonly GitRepo _repo = GitRepo.Init();
    private readonly TempDir _state = new("gitorch-state");

    public void Dispose()
    {
        _repo.Dispose();
        _state.Dispose();
    }

    private string Message(string revision) => _repo.Git("log", "-1", "--format=%B", revision).TrimEnd('\n') + "\n";

    private string[] Parents(string revision) => _repo.Git("log", "-1", "--format=%P", revision).Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries);

    [Fact]
    public async Task Mirror_HoldsTheExternalCommit_ThenTheSchedulerCommit_WithTheTrailersOfTheDesign()
    {
        _repo.Write("apps/worker.yaml", Manifests.Pod("worker"));
        var config = _repo.Commit("Add worker", "alice@example.com", "Alice");
        await using var controller = await Controllers.OpenAsync(_repo.Root, _state.Path, Node("node-a"));

        await controller.SyncAsync();

        Assert.Null(controller.Status.MirrorError);

        // The pod's workflow writes more after placement (ipam's address); the first two batches are these.
        var scheduler = _repo.Git("log", "--format=%H", "--grep=^scheduler: Pod/demo/worker place", HistoryMirror.Ref).Trim();
        var external = Parents(scheduler)[0];
        Assert.Equal(
            $"git/alice@example.com: Pod/demo/worker applied {config[..12]}: Add worker\n\nChanger: git/alice@example.com\nChange-Kind: external\nObject: Pod/demo/worker@1\nSource-Commit: {config}\nGitorch-Batch: 1\n",
            Message(external));
        Assert.Equal("Alice <alice@example.com>", _repo.Git("log", "-1", "--format=%an <%ae>", external).Trim());
        Assert.Contains(config, Parents(external));

        Assert.Equal([external], Parents(scheduler));
        Assert.Equal(
            $"scheduler: Pod/demo/worker place on node-a\n\nChanger: control-loop/scheduler\nChange-Kind: mechanical\nObject: Pod/demo/worker\nObject-Version: 2\nFields: status.nodeName\nSource-Commit: {config}\nGitorch-Batch: 2\n",
            Message(scheduler));
        Assert.Equal("control-loop/scheduler <scheduler@control-loop.gitorch>", _repo.Git("log", "-1", "--format=%an <%ae>", scheduler).Trim());
        var rendered = _repo.Git("show", scheduler + ":objects/Pod/demo/worker.yaml");
        Assert.Contains("\nstatus:\n  nodeName: node-a\n", rendered, StringComparison.Ordinal);
        Assert.Equal(config, _repo.Head());
        Assert.Equal(string.Empty, _repo.Git("status", "--porcelain"));
    }

    [Fact]
    public async Task Mirror_TheFirstExternalCommit_HasTheConfigCommitAsItsSecondParent()
    {
        _repo.Write("apps/worker.yaml", Manifests.Pod("worker"));
        var config = _repo.Commit("Add worker");
        await using var controller = await Controllers.OpenAsync(_repo.Root, _state.Path);

        await controller.SyncAsync();

        // DESIGN.md: "that config commit is its second parent", so the mirror's first-parent line
        // holds only mirror commits (git log --first-parent refs/gitorch/history).
        var parents = Parents(HistoryMirror.Ref);
        Assert.Equal(2, parents.Length);
        Assert.Equal(config, parents[1]);
        Assert.DoesNotContain(config, _repo.Git("log", "--first-parent", "--format=%H", HistoryMirror.Ref).Split('\n'));
    }

    [Fact]
    public async Task Mirror_ALockFileLeftByAKilledController_StopsItOnlyUntilTheLockIsStale_AndTheWaitIsShown()
    {
        _repo.Write("apps/worker.yaml", Manifests.Pod("worker"));
        _repo.Commit("Add worker");
        await using (var first = await Controllers.OpenAsync(_repo.Root, _state.Path))
        {
            await first.SyncAsync();
        }

        // The controller was killed while it moved the mirror's ref: libgit2 had made the lock file.
        var lockFile = Path.Combine(_repo.Root, ".git", HistoryMirror.Ref + ".lock");
        File.WriteAllText(lockFile, "0000000000000000000000000000000000000000\n");
        _repo.Write("apps/worker.yaml", Manifests.Pod("worker", greeting: "changed"));
        var changed = _repo.Commit("Change worker");
        await using var controller = await Controllers.OpenAsync(_repo.Root, _state.Path);

        // Younger than a git process would hold it: left alone, and the status says why the mirror waits.
        await controller.SyncAsync();
        Assert.Contains($"cannot move {HistoryMirror.Ref}", controller.Status.MirrorError, StringComparison.Ordinal);
        Assert.True(File.Exists(lockFile));
        Assert.DoesNotContain(changed, _repo.Git("log", "--format=%P", HistoryMirror.Ref));

        // Once it is older than that, it was left by a writer that stopped: removed, and the mirror catches up.
        File.SetLastWriteTimeUtc(lockFile, DateTime.UtcNow - GitOrch.Git.CommitWriter.StaleLockAge - TimeSpan.FromSeconds(1));
        await controller.SyncAsync();
        Assert.Null(controller.Status.MirrorError);
        Assert.False(File.Exists(lockFile));
        Assert.Contains(changed, _repo.Git("log", "-1", "--format=%P", HistoryMirror.Ref));
    }

    /// <summary>A hosted service whose loop ends on an error it did not handle.</summary>
    private sealed class FailingService : Microsoft.Extensions.Hosting.BackgroundService
    {
        protected override async Task ExecuteAsync(CancellationToken stoppingToken)
        {
            await Task.Yield();
            throw new InvalidOperationException("a bug in the loop");
        }
    }

    [Fact]
    public async Task AServiceThatDiesOnAnUnhandledError_StopsTheController_NamingItAndTheError()
    {
        _repo.Write("apps/worker.yaml", Manifests.Pod("worker"));
        _repo.Commit("Add worker");
        await using var controller = await Controllers.OpenAsync(_repo.Root, _state.Path);
        using var failing = new FailingService();

        await failing.StartAsync(CancellationToken.None);
        controller.Watch(failing);

        var stopped = await Assert.ThrowsAsync<GitOrch.History.Store.StateException>(() => controller.Guard.Stopped.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Contains("the controller's FailingService stopped on an unexpected error (a bug in the loop)", stopped.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Mirror_ALaterConfigCommitIsTheSecondParentOfItsExternalCommit()
    {
        _repo.Write("apps/worker.yaml", Manifests.Pod("worker"));
        _repo.Commit("Add worker");
        await using var controller = await Controllers.OpenAsync(_repo.Root, _state.Path, Node("node-a"));
        await controller.SyncAsync();
        var before = _repo.RevParse(HistoryMirror.Ref)!;

        _repo.Write("apps/worker.yaml", Manifests.Pod("worker", greeting: "bonjour"));
        var config = _repo.Commit("French", "bob@example.com");
        await controller.SyncAsync();

        // Second parent: the config commit. First parent: the mirror as it was, or a placement of the first
        // cycle that landed after that cycle's mirror step (workflows run on after it).
        var parents = Parents(HistoryMirror.Ref);
        Assert.Equal(config, parents[1]);
        Assert.Equal(string.Empty, _repo.Git("merge-base", "--is-ancestor", before, parents[0]));
        Assert.Equal(
            $"git/bob@example.com: Pod/demo/worker applied {config[..12]}: French\n\nChanger: git/bob@example.com\nChange-Kind: external\nObject: Pod/demo/worker@4\nSource-Commit: {config}\nGitorch-Batch: 4\n",
            Message(HistoryMirror.Ref));
        var rendered = _repo.Git("show", HistoryMirror.Ref + ":objects/Pod/demo/worker.yaml");
        Assert.Contains("GREETING: bonjour", rendered, StringComparison.Ordinal);
        Assert.Contains("nodeName: node-a", rendered, StringComparison.Ordinal);
        Assert.Contains(config, _repo.Git("log", "--format=%H", HistoryMirror.Ref).Split('\n'));
    }

    [Fact]
    public async Task HistoryGc_KeepsOnlyKeepVersionsInTheStore_WhileTheMirrorKeepsEveryVersion()
    {
        _repo.Write("cluster/policy.yaml", Manifests.Policy(keepVersions: 2)).Write("apps/worker.yaml", Manifests.Pod("worker"));
        _repo.Commit("Worker, keep two versions");
        await using var controller = await Controllers.OpenAsync(_repo.Root, _state.Path);
        await controller.SyncAsync();
        foreach (var greeting in new[] { "one", "two", "three" })
        {
            _repo.Write("apps/worker.yaml", Manifests.Pod("worker", greeting: greeting));
            _repo.Commit("Greeting " + greeting);
            await controller.SyncAsync();
        }

        Assert.Equal([3, 4], controller.Store.History(PodRef("worker")).Select(v => v.Version));
        Assert.Null(controller.Store.Version(PodRef("worker"), 1));
        Assert.Equal(4, controller.Store.Get(PodRef("worker"))!.Version);
        var mirrored = _repo.Git("log", "--format=%H", HistoryMirror.Ref, "--", "objects/Pod/demo/worker.yaml")
            .Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(4, mirrored.Length);
        Assert.Contains("GREETING: hello", _repo.Git("show", mirrored[^1] + ":objects/Pod/demo/worker.yaml"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task WithoutKeepVersions_EveryVersionIsKept()
    {
        _repo.Write("apps/worker.yaml", Manifests.Pod("worker"));
        _repo.Commit("Worker");
        await using var controller = await Controllers.OpenAsync(_repo.Root, _state.Path);
        await controller.SyncAsync();
        foreach (var greeting in new[] { "one", "two", "three" })
        {
            _repo.Write("apps/worker.yaml", Manifests.Pod("worker", greeting: greeting));
            _repo.Commit("Greeting " + greeting);
            await controller.SyncAsync();
        }

        Assert.Equal([1, 2, 3, 4], controller.Store.History(PodRef("worker")).Select(v => v.Version));
    }

    [Fact]
    public async Task OpeningTheSameStateFolderTwice_FailsNamingTheOtherProcessAndState()
    {
        _repo.Write("apps/worker.yaml", Manifests.Pod("worker"));
        _repo.Commit("Worker");
        var first = await Controllers.OpenAsync(_repo.Root, _state.Path);

        var error = await Assert.ThrowsAsync<StateException>(() => Controllers.OpenAsync(_repo.Root, _state.Path));

        Assert.StartsWith($"the state folder {_state.Path} is in use by another gitorch process", error.Message, StringComparison.Ordinal);
        Assert.EndsWith("; stop that process, or give this one its own folder with --state", error.Message, StringComparison.Ordinal);
        await first.DisposeAsync();
        await using var again = await Controllers.OpenAsync(_repo.Root, _state.Path);
        await again.SyncAsync();
        Assert.Single(again.Store.List());
    }

    [Fact]
    public async Task OpeningALockedStateFolder_NamesThePidOfTheProcessHoldingIt()
    {
        _repo.Write("apps/worker.yaml", Manifests.Pod("worker"));
        _repo.Commit("Worker");
        await using var first = await Controllers.OpenAsync(_repo.Root, _state.Path);

        var error = await Assert.ThrowsAsync<StateException>(() => Controllers.OpenAsync(_repo.Root, _state.Path));

        // StateLock writes its pid into the lock file so that this message can name the holder.
        Assert.Equal(
            $"the state folder {_state.Path} is in use by another gitorch process (pid {Environment.ProcessId}); stop that process, or give this one its own folder with --state",
            error.Message);
    }

    [Fact]
    public async Task ARestartedController_ContinuesFromTheLastAppliedCommit_ParsingOnlyNewChanges()
    {
        _repo.Write("apps/worker.yaml", Manifests.Pod("worker")).Write("apps/api.yaml", Manifests.Pod("api"));
        var first = _repo.Commit("Two pods");
        await using (var controller = await Controllers.OpenAsync(_repo.Root, _state.Path))
        {
            await controller.SyncAsync();
        }

        _repo.Write("apps/worker.yaml", Manifests.Pod("worker", greeting: "bonjour"));
        var second = _repo.Commit("French");
        await using var restarted = await Controllers.OpenAsync(_repo.Root, _state.Path);
        await restarted.SyncAsync();

        Assert.Equal(second, restarted.Status.LastApplied);
        Assert.Equal([first, second], restarted.Store.History(PodRef("worker")).Select(v => v.SourceCommit));
        Assert.Single(restarted.Store.History(PodRef("api")));
        Assert.Equal(3, restarted.Reconciler.FilesParsed); // two at start-up (the last applied tree), one changed file
    }
}
