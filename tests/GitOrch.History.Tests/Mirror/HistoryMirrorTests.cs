using System.Globalization;
using GitOrch.Git;
using GitOrch.History.Mirror;
using GitOrch.History.Store;
using GitOrch.History.Tests.Support;
using GitOrch.Testing;
using static GitOrch.History.Tests.Support.Objects;

namespace GitOrch.History.Tests.Mirror;

public sealed class HistoryMirrorTests : IAsyncLifetime
{
    private const string Ref = HistoryMirror.Ref;
    private const string PodPath = "objects/Pod/demo/web-0.yaml";
    private const string PolicyPath = "objects/ClusterPolicy/cluster.yaml";
    private static readonly DateTimeOffset T0 = DateTimeOffset.FromUnixTimeSeconds(1_710_000_000);

    private readonly TempGitRepo _repo = TempGitRepo.Create();
    private readonly TempFolder _state = new();
    private readonly FixedTime _time = new(T0);
    private readonly HistoryStore _store;
    private readonly GitRepository _git;
    private readonly HistoryMirror _mirror;
    private readonly string _c1;
    private readonly string _c2;
    private readonly string _c3;

    public HistoryMirrorTests()
    {
        _repo.Write("apps/web.yaml", "kind: Pod\n");
        _c1 = _repo.Commit("Add web and policy");
        _repo.Write("apps/web.yaml", "kind: Pod # bumped\n");
        _c2 = _repo.Commit("Bump web, drop policy", "Bob Builder", "bob@example.com");
        _repo.Write("apps/web.yaml", "kind: Pod # bumped again\n");
        _c3 = _repo.Commit("Bump web again", "Bob Builder", "bob@example.com");
        _store = HistoryStore.Open(_state.Path, _time);
        _git = new GitRepository(_repo.Path);
        _mirror = new HistoryMirror(_git, _store);
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        await _git.DisposeAsync();
        _store.Dispose();
        _state.Dispose();
        _repo.Dispose();
    }

    private void At(int minutes) => _time.Now = T0.AddMinutes(minutes);

    /// <summary>Batch 1: Ada's commit adds web-0 and the policy. 2: the scheduler places web-0. 3: Bob's commit bumps web-0 and deletes the policy.</summary>
    private void WriteThreeBatches()
    {
        At(1);
        _store.ApplyCommit(Applied(_c1), External(_c1, "ada@example.com", "Add web and policy", Change(Web0, Pod(Web0, "nginx:1.25"), "*"), Change(Policy, ClusterPolicy(3), "*")));
        At(2);
        _store.Write(Mechanical("scheduler", _c1, "scheduler: place Pod demo/web-0 on node-a", Change(Web0, Pod(Web0, "nginx:1.25", "node-a"), "status.nodeName")));
        At(3);
        _store.ApplyCommit(Applied(_c2, "bob@example.com"), External(_c2, "bob@example.com", "Bump web, drop policy", Change(Web0, Pod(Web0, "nginx:1.26", "node-a"), "spec.containers[0].image"), Change(Policy, null, "*")));
    }

    private string Rev(string revision) => _repo.Git("rev-parse", revision).Trim();

    private string Message(string commit)
    {
        var raw = _repo.Git("cat-file", "commit", commit);
        return raw[(raw.IndexOf("\n\n", StringComparison.Ordinal) + 2)..];
    }

    private string[] Parents(string commit) => _repo.Git("log", "-1", "--format=%P", commit).Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries);

    private long BatchOf(string commit) => long.Parse(_repo.Git("log", "-1", "--format=%(trailers:key=Gitorch-Batch,valueonly)", commit).Trim(), CultureInfo.InvariantCulture);

    /// <summary>The mirror's batch commits, newest first, following first parents down to the root commit (batch 0), which is left out.</summary>
    private List<string> MirrorCommits()
    {
        var list = new List<string>();
        var commit = Rev(Ref);
        while (true)
        {
            if (!Message(commit).Contains("\nGitorch-Batch: ", StringComparison.Ordinal) || Message(commit).EndsWith("\nGitorch-Batch: 0\n", StringComparison.Ordinal))
            {
                return list;
            }

            list.Add(commit);
            var parents = Parents(commit);
            if (parents.Length == 0)
            {
                return list;
            }

            commit = parents[0];
        }
    }

    [Fact]
    public async Task CatchUp_WritesOneCommitPerBatch_WithTheMechanicalTrailers()
    {
        WriteThreeBatches();

        Assert.Equal(3, await _mirror.CatchUpAsync(CancellationToken.None));

        var mechanical = Rev(Ref + "~1");
        Assert.Equal(
            $"""
            scheduler: Pod/demo/web-0 place on node-a

            Changer: control-loop/scheduler
            Change-Kind: mechanical
            Object: Pod/demo/web-0
            Object-Version: 2
            Fields: status.nodeName
            Source-Commit: {_c1}
            Gitorch-Batch: 2

            """,
            Message(mechanical));
        Assert.Equal([Rev(Ref + "~2")], Parents(mechanical));
        Assert.Equal(
            $"control-loop/scheduler <scheduler@gitorch.local> {T0.AddMinutes(2).ToUnixTimeSeconds()} | GitOrch <gitorch@localhost>\n",
            _repo.Git("log", "-1", "--format=%an <%ae> %at | %cn <%ce>", mechanical));
    }

    [Fact]
    public async Task CatchUp_TrailersAreReadByGit()
    {
        WriteThreeBatches();
        await _mirror.CatchUpAsync(CancellationToken.None);

        Assert.Equal(
            $"Changer: control-loop/scheduler\nChange-Kind: mechanical\nObject: Pod/demo/web-0\nObject-Version: 2\nFields: status.nodeName\nSource-Commit: {_c1}\nGitorch-Batch: 2",
            _repo.Git("log", "-1", "--format=%(trailers:only,unfold)", Ref + "~1").TrimEnd('\n'));
    }

    [Fact]
    public async Task CatchUp_WritesExternalCommits_WithObjectLines_AndTheSourceAsSecondParent()
    {
        WriteThreeBatches();

        await _mirror.CatchUpAsync(CancellationToken.None);

        var external = Rev(Ref);
        Assert.Equal(
            $"""
            git/bob@example.com: Pod/demo/web-0, ClusterPolicy/cluster Bump web, drop policy

            Changer: git/bob@example.com
            Change-Kind: external
            Object: Pod/demo/web-0@3
            Object: ClusterPolicy/cluster@2
            Source-Commit: {_c2}
            Gitorch-Batch: 3

            """,
            Message(external));
        Assert.Equal([Rev(Ref + "~1"), _c2], Parents(external));
        Assert.Equal(
            $"Bob Builder <bob@example.com> {T0.AddMinutes(3).ToUnixTimeSeconds()} | GitOrch <gitorch@localhost>\n",
            _repo.Git("log", "-1", "--format=%an <%ae> %at | %cn <%ce>", external));
        Assert.Equal(
            $"""
            git/ada@example.com: Pod/demo/web-0, ClusterPolicy/cluster Add web and policy

            Changer: git/ada@example.com
            Change-Kind: external
            Object: Pod/demo/web-0@1
            Object: ClusterPolicy/cluster@1
            Source-Commit: {_c1}
            Gitorch-Batch: 1

            """,
            Message(Rev(Ref + "~2")));
    }

    [Fact]
    public async Task CatchUp_TreeHoldsRenderedObjects_ClusterScopedWithoutNamespace_AndDeletionRemovesTheFile()
    {
        WriteThreeBatches();

        await _mirror.CatchUpAsync(CancellationToken.None);

        Assert.Equal($"{PolicyPath}\n{PodPath}\n", _repo.Git("ls-tree", "-r", "--name-only", Ref + "~1"));
        Assert.Equal($"{PodPath}\n", _repo.Git("ls-tree", "-r", "--name-only", Ref));
        Assert.Equal(
            """
            apiVersion: gitorch.dev/v1
            kind: Pod
            metadata:
              name: web-0
              namespace: demo
            spec:
              containers:
                - name: web
                  image: nginx:1.25
            status:
              nodeName: node-a

            """,
            _repo.Git("show", $"{Ref}~1:{PodPath}"));
        Assert.Equal(
            """
            apiVersion: gitorch.dev/v1
            kind: ClusterPolicy
            metadata:
              name: cluster
            spec:
              history:
                keepVersions: 3

            """,
            _repo.Git("show", $"{Ref}~2:{PolicyPath}"));
        Assert.Contains("image: nginx:1.26\n", _repo.Git("show", $"{Ref}:{PodPath}"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task CatchUp_WritesNothing_WhenMirrorIsCurrent()
    {
        WriteThreeBatches();
        await _mirror.CatchUpAsync(CancellationToken.None);
        var tip = Rev(Ref);

        Assert.Equal(0, await _mirror.CatchUpAsync(CancellationToken.None));

        Assert.Equal(tip, Rev(Ref));
    }

    [Fact]
    public async Task CatchUp_WritesNothing_WhenThereAreNoBatches()
    {
        Assert.Equal(0, await _mirror.CatchUpAsync(CancellationToken.None));

        Assert.Null(await _git.ResolveAsync(Ref, CancellationToken.None));
    }

    [Fact]
    public async Task CatchUp_ContinuesFromTheTip_WithNoGapAndNoDuplicate()
    {
        WriteThreeBatches();
        await _mirror.CatchUpAsync(CancellationToken.None);
        var tip = Rev(Ref);
        At(4);
        _store.Write(Mechanical("scheduler", _c2, "scheduler: place Pod demo/web-1 on node-b", Change(Web1, Pod(Web1, "nginx:1.26", "node-b"), "status.nodeName")));
        At(5);
        _store.ApplyCommit(Applied(_c3, "bob@example.com"), External(_c3, "bob@example.com", "Bump web again", Change(Web0, Pod(Web0, "nginx:1.27", "node-a"), "spec.containers[0].image")));

        Assert.Equal(2, await _mirror.CatchUpAsync(CancellationToken.None));

        var commits = MirrorCommits();
        Assert.Equal([5L, 4L, 3L, 2L, 1L], commits.Select(BatchOf));
        Assert.Equal(tip, commits[2]);
        Assert.Equal([commits[1], _c3], Parents(commits[0]));
        Assert.Equal([tip], Parents(commits[1]));
        Assert.Equal($"{PodPath}\nobjects/Pod/demo/web-1.yaml\n", _repo.Git("ls-tree", "-r", "--name-only", Ref));
    }

    [Fact]
    public async Task CatchUp_WithABrandNewStore_ContinuesAboveTheMirrorsLastBatch()
    {
        WriteThreeBatches();
        await _mirror.CatchUpAsync(CancellationToken.None);
        var tip = Rev(Ref);
        using var lostState = new TempFolder();
        using var fresh = HistoryStore.Open(lostState.Path, _time);
        var mirror = new HistoryMirror(_git, fresh);

        Assert.Equal(0, await mirror.CatchUpAsync(CancellationToken.None));
        At(10);
        Assert.Equal(4, fresh.ApplyCommit(Applied(_c3, "bob@example.com"), External(_c3, "bob@example.com", "Bump web again", Change(Web0, Pod(Web0, "nginx:1.27"), "*"))));
        Assert.Equal(1, await mirror.CatchUpAsync(CancellationToken.None));

        var commits = MirrorCommits();
        Assert.Equal([4L, 3L, 2L, 1L], commits.Select(BatchOf));
        Assert.Equal([tip, _c3], Parents(commits[0]));
        Assert.Equal(0, await mirror.CatchUpAsync(CancellationToken.None));
    }

    [Fact]
    public async Task GitLog_OfAnObjectsFile_ListsEveryVersionOfThatObject()
    {
        WriteThreeBatches();
        At(4);
        _store.Write(Mechanical("scheduler", _c2, "scheduler: place Pod demo/web-1 on node-b", Change(Web1, Pod(Web1, "nginx:1.26", "node-b"), "status.nodeName")));
        At(5);
        _store.Write(Mechanical("kubelet", _c2, "kubelet: Pod demo/web-0 is running", Change(Web0, Pod(Web0, "nginx:1.26", "node-b"), "status.nodeName")));
        await _mirror.CatchUpAsync(CancellationToken.None);

        Assert.Equal(
            string.Join('\n', [
                "kubelet: Pod/demo/web-0 is running",
                "git/bob@example.com: Pod/demo/web-0, ClusterPolicy/cluster Bump web, drop policy",
                "scheduler: Pod/demo/web-0 place on node-a",
                "git/ada@example.com: Pod/demo/web-0, ClusterPolicy/cluster Add web and policy",
                string.Empty]),
            _repo.Git("log", "--format=%s", Ref, "--", PodPath));
    }

    [Fact]
    public async Task GitLog_OfADeletedObjectsFile_ListsItsVersions_WithFullHistory()
    {
        WriteThreeBatches(); // Batch 3 is an external commit that deletes the policy.
        await _mirror.CatchUpAsync(CancellationToken.None);

        // The deleting commit has no file at that path, and neither has its config-commit parent,
        // so git's default simplification follows that parent; --full-history (documented in
        // docs/history.md) shows the object's whole life.
        Assert.Equal(
            "git/bob@example.com: Pod/demo/web-0, ClusterPolicy/cluster Bump web, drop policy\ngit/ada@example.com: Pod/demo/web-0, ClusterPolicy/cluster Add web and policy\n",
            _repo.Git("log", "--full-history", "--format=%s", Ref, "--", PolicyPath));
    }

    [Fact]
    public async Task CatchUp_WritesBatchesBeyondOneStream_AsOneUnbrokenChain()
    {
        const int Count = 501; // The mirror writes at most 500 batches per fast-import stream.
        for (var i = 1; i <= Count; i++)
        {
            _store.Write(Mechanical("scheduler", null, $"move {i}", Change(Web0, Pod(Web0, "nginx", $"node-{i}"), "status.nodeName")));
        }

        Assert.Equal(Count, await _mirror.CatchUpAsync(CancellationToken.None));

        Assert.Equal($"{Count + 1}\n", _repo.Git("rev-list", "--count", Ref)); // + the root commit that starts the mirror
        Assert.Equal(string.Empty, _repo.Git("rev-list", "--min-parents=2", Ref));
        Assert.Equal($"{Count}", _repo.Git("log", "-1", "--format=%(trailers:key=Gitorch-Batch,valueonly)", Ref).Trim());
        Assert.Equal("500", _repo.Git("log", "-1", "--format=%(trailers:key=Gitorch-Batch,valueonly)", Ref + "~1").Trim());
        Assert.Contains($"nodeName: node-{Count}\n", _repo.Git("show", $"{Ref}:{PodPath}"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task CatchUp_LeavesOutTheSecondParent_WhenTheSourceCommitIsNotInTheRepository()
    {
        WriteThreeBatches();
        await _mirror.CatchUpAsync(CancellationToken.None);
        var gone = new string('f', 40);
        _store.ApplyCommit(Applied(gone), External(gone, "ada@example.com", "From a rewritten branch", Change(Web1, Pod(Web1, "nginx"), "*")));

        await _mirror.CatchUpAsync(CancellationToken.None);

        Assert.Equal([Rev(Ref + "~1")], Parents(Rev(Ref)));
        Assert.EndsWith($"Source-Commit: {gone}\nGitorch-Batch: 4\n", Message(Rev(Ref)), StringComparison.Ordinal);
    }

    [Fact]
    public async Task CatchUp_Throws_WhenTheTipWasNotWrittenByGitorch()
    {
        WriteThreeBatches();
        _repo.Git("update-ref", Ref, _c1);

        var ex = await Assert.ThrowsAsync<StateException>(() => _mirror.CatchUpAsync(CancellationToken.None));

        Assert.Equal(
            $"the tip of {Ref} ({_c1[..12]}) has no Gitorch-Batch trailer; it was not written by gitorch. Move the ref aside (git update-ref -d {Ref}) to let gitorch rewrite it",
            ex.Message);
        Assert.Equal(_c1, Rev(Ref));
    }

    [Theory]
    [InlineData("Pod", "demo", "web-0", "objects/Pod/demo/web-0.yaml")]
    [InlineData("ClusterPolicy", "", "cluster", "objects/ClusterPolicy/cluster.yaml")]
    public void PathOf_PutsNamespacedObjectsInANamespaceFolder(string kind, string ns, string name, string expected) =>
        Assert.Equal(expected, HistoryMirror.PathOf(new(kind, ns, name)));
}
