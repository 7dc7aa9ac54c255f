using System.Text.Json.Nodes;
using GitOrch.Controller.Rollback;
using GitOrch.Controller.Tests.Support;
using GitOrch.Core.Loading;
using GitOrch.Core.Manifests;
using static GitOrch.Controller.Tests.Support.Controllers;

namespace GitOrch.Controller.Tests.Rollback;

/// <summary>
/// Rollback writes an earlier version back into the config repo as an ordinary commit. The repo's
/// worker has versions 1 (<see cref="Version1"/>), 2 (GREETING bonjour) and 3 (also busybox:1.36),
/// each applied by a real controller from a real commit.
/// </summary>
public sealed class RollbackWriterTests : IAsyncLifetime
{
    private const string Version1 = """
        # The worker pod: consumes the queue.
        apiVersion: gitorch.dev/v1
        kind: Pod
        metadata:
          name: worker      # keep stable: other pods call it by name
          namespace: demo
        spec:
          containers:
            - name: main
              image: busybox:1.35   # pinned on purpose
              env:
                # what it says at start
                GREETING: hello   # friendly
              resources:
                cpu: 250m
                memory: 64Mi
        # end of worker

        """;

    private static readonly string Version2 = Version1.Replace("GREETING: hello", "GREETING: bonjour", StringComparison.Ordinal);
    private static readonly string Version3 = Version2.Replace("busybox:1.35", "busybox:1.36", StringComparison.Ordinal);
    private static readonly string ExpectedMessage = "Rollback Pod demo/worker to version 1\n\nRollback-To: 1\nRollback-From: 3\n";

    private readonly GitRepo _repo = GitRepo.Init();
    private readonly TempDir _state = new("gitorch-state");
    private JsonObject _version1 = [];
    private JsonObject _version3 = [];
    private string _head = string.Empty;

    public async Task InitializeAsync()
    {
        // The rollback writes commits as the user: git must know who that is.
        _repo.Git("config", "user.name", "Rollback User");
        _repo.Git("config", "user.email", "rollback@example.com");
        _repo.Git("config", "commit.gpgsign", "false");
        _repo.Write("apps/worker.yaml", Version1);
        _head = _repo.Commit("Worker");
        await using var controller = await Controllers.OpenAsync(_repo.Root, _state.Path);
        await controller.SyncAsync();
        foreach (var (text, message) in new[] { (Version2, "French"), (Version3, "Newer busybox") })
        {
            _repo.Write("apps/worker.yaml", text);
            _head = _repo.Commit(message);
            await controller.SyncAsync();
        }

        Assert.Equal(3, controller.Store.Get(PodRef("worker"))!.Version);
        Assert.Equal("apps/worker.yaml", controller.Store.Get(PodRef("worker"))!.File);
        _version1 = ManifestJson.Parse(controller.Store.Version(PodRef("worker"), 1)!.ObjectJson!);
        _version3 = ManifestJson.Parse(controller.Store.Version(PodRef("worker"), 3)!.ObjectJson!);
    }

    public Task DisposeAsync()
    {
        _repo.Dispose();
        _state.Dispose();
        return Task.CompletedTask;
    }

    private RollbackWriter.Request Request(bool onCurrentBranch = false, string file = "apps/worker.yaml") =>
        new(_repo.Root, file, PodRef("worker"), ToVersion: 1, FromVersion: 3, _version1, onCurrentBranch);

    private string Message(string revision) => _repo.Git("log", "-1", "--format=%B", revision).TrimEnd('\n') + "\n";

    [Fact]
    public async Task RollbackBranch_RestoresTheValues_KeepsEveryComment_AndLeavesTheCurrentBranchAlone()
    {
        var result = await RollbackWriter.WriteAsync(Request(), CancellationToken.None);

        Assert.Equal("rollback/worker-v1", result.Branch);
        Assert.Equal("apps/worker.yaml", result.RepoFile);
        Assert.True(result.CommentsKept);
        Assert.Equal(result.Commit, _repo.RevParse("refs/heads/rollback/worker-v1"));
        Assert.Equal(Version1, _repo.Git("show", "rollback/worker-v1:apps/worker.yaml"));
        Assert.Equal(ExpectedMessage, Message(result.Commit));
        Assert.Equal(_head, _repo.Git("log", "-1", "--format=%P", result.Commit).Trim());
        Assert.Equal("apps/worker.yaml\n", _repo.Git("diff-tree", "--no-commit-id", "--name-only", "-r", result.Commit));

        Assert.Equal("main", _repo.Git("symbolic-ref", "--short", "HEAD").Trim());
        Assert.Equal(_head, _repo.Head());
        Assert.Equal(Version3, _repo.Read("apps/worker.yaml"));
        Assert.Equal(string.Empty, _repo.Git("status", "--porcelain"));
    }

    [Fact]
    public async Task OnCurrentBranch_CommitsTheRollbackOnIt()
    {
        var result = await RollbackWriter.WriteAsync(Request(onCurrentBranch: true), CancellationToken.None);

        Assert.Equal("main", result.Branch);
        Assert.Equal(result.Commit, _repo.Head());
        Assert.Equal(_head, _repo.RevParse("HEAD^"));
        Assert.Equal(ExpectedMessage, Message("HEAD"));
        Assert.Equal(Version1, _repo.Git("show", "HEAD:apps/worker.yaml"));
        Assert.Equal(Version1, _repo.Read("apps/worker.yaml"));
        Assert.Equal(string.Empty, _repo.Git("status", "--porcelain"));
        Assert.Null(_repo.RevParse("refs/heads/rollback/worker-v1"));
    }

    [Fact]
    public async Task Refuses_WhenTheFileHasMovedSince()
    {
        _repo.Git("mv", "apps/worker.yaml", "apps/queue-worker.yaml");
        var moved = _repo.Commit("Rename the file");

        var error = await Assert.ThrowsAsync<RollbackException>(() => RollbackWriter.WriteAsync(Request(), CancellationToken.None));

        Assert.Equal(
            "apps/worker.yaml is not in " + _repo.Root + " at HEAD: the file has moved or been deleted since Pod demo/worker was applied; edit the object where it lives now",
            error.Message);
        Assert.Null(_repo.RevParse("refs/heads/rollback/worker-v1"));
        Assert.Equal(moved, _repo.Head());
    }

    [Fact]
    public async Task Refuses_WhenTheFileNoLongerHoldsTheObject()
    {
        _repo.Git("mv", "apps/worker.yaml", "apps/queue-worker.yaml");
        _repo.Write("apps/worker.yaml", Manifests.Pod("helper"));
        _repo.Commit("Worker moved; the file now holds helper");

        var error = await Assert.ThrowsAsync<RollbackException>(() => RollbackWriter.WriteAsync(Request(), CancellationToken.None));

        Assert.Equal(
            "apps/worker.yaml at HEAD no longer defines Pod demo/worker: the object has moved to another file; edit it where it lives now",
            error.Message);
        Assert.Null(_repo.RevParse("refs/heads/rollback/worker-v1"));
    }

    [Fact]
    public async Task Refuses_WhenTheRollbackBranchAlreadyExists()
    {
        _repo.Git("branch", "rollback/worker-v1", "HEAD~1");
        var existing = _repo.RevParse("refs/heads/rollback/worker-v1");

        var error = await Assert.ThrowsAsync<RollbackException>(() => RollbackWriter.WriteAsync(Request(), CancellationToken.None));

        Assert.Equal("branch rollback/worker-v1 already exists; delete it (git branch -D rollback/worker-v1) or use --commit", error.Message);
        Assert.Equal(existing, _repo.RevParse("refs/heads/rollback/worker-v1"));
        Assert.Equal(_head, _repo.Head());
    }

    [Fact]
    public async Task Refuses_WhenTheFileAlreadySaysThatVersion()
    {
        var toCurrent = new RollbackWriter.Request(_repo.Root, "apps/worker.yaml", PodRef("worker"), ToVersion: 3, FromVersion: 3, _version3, OnCurrentBranch: false);

        var error = await Assert.ThrowsAsync<RollbackException>(() => RollbackWriter.WriteAsync(toCurrent, CancellationToken.None));

        Assert.Equal("apps/worker.yaml already says what version 3 says for Pod demo/worker; nothing to roll back", error.Message);
        Assert.Null(_repo.RevParse("refs/heads/rollback/worker-v3"));
    }

    [Fact]
    public async Task OnCurrentBranch_RefusesWhenTheFileHasUncommittedChanges()
    {
        _repo.Write("apps/worker.yaml", Version3 + "# local edit\n");

        var error = await Assert.ThrowsAsync<RollbackException>(() => RollbackWriter.WriteAsync(Request(onCurrentBranch: true), CancellationToken.None));

        Assert.Equal("apps/worker.yaml has uncommitted changes; commit or stash them first", error.Message);
        Assert.Equal(_head, _repo.Head());
        Assert.Equal(Version3 + "# local edit\n", _repo.Read("apps/worker.yaml"));
    }

    [Fact]
    public async Task ShapeChange_RewritesOnlyThatDocument_KeepingTheRestOfTheFile()
    {
        const string apiDocument = """
            # The api pod: answers requests.
            apiVersion: gitorch.dev/v1
            kind: Pod
            metadata:
              name: api   # public name
              namespace: demo
            spec:
              containers:
                - name: main
                  image: busybox:1.35
                  resources:
                    cpu: 100m
                    memory: 32Mi

            """;
        var withScratch = Version3.Replace("        GREETING: bonjour   # friendly\n", "        GREETING: bonjour   # friendly\n        SCRATCH: /tmp\n", StringComparison.Ordinal);
        Assert.NotEqual(Version3, withScratch);
        _repo.Write("apps/worker.yaml", withScratch + "---\n" + apiDocument);
        _repo.Commit("Scratch env, and api in the same file");

        var result = await RollbackWriter.WriteAsync(Request() with { FromVersion = 4 }, CancellationToken.None);

        Assert.False(result.CommentsKept);
        var text = _repo.Git("show", "rollback/worker-v1:apps/worker.yaml");
        Assert.StartsWith("# The worker pod: consumes the queue.\napiVersion: gitorch.dev/v1\n", text, StringComparison.Ordinal);
        Assert.EndsWith("# end of worker\n---\n" + apiDocument, text, StringComparison.Ordinal);
        var loaded = ManifestLoader.LoadFile(new ManifestFile("apps/worker.yaml", text));
        Assert.Empty(loaded.Diagnostics);
        Assert.Equal(["worker", "api"], loaded.Objects.Select(o => o.Ref.Name));
        Assert.True(JsonNode.DeepEquals(_version1, loaded.Objects[0].Json), $"expected version 1:\n{_version1}\ngot:\n{loaded.Objects[0].Json}");
    }
}
