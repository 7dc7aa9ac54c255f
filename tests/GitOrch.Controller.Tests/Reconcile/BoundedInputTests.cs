using GitOrch.Controller.Tests.Support;
using GitOrch.Core.Diagnostics;
using GitOrch.History;

namespace GitOrch.Controller.Tests.Reconcile;

/// <summary>The controller reads commits within the same limits as validate: hostile commits are rejected whole, and the next good one applies.</summary>
public sealed class BoundedInputTests : IDisposable
{
    private const string Bomb = """
        a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
        b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
        c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
        d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
        e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
        f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
        g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
        h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
        i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
        apiVersion: gitorch.dev/v1
        kind: Pod
        metadata: {name: lol, namespace: demo}
        spec:
          containers: [{name: main, image: busybox:1.35, command: *i}]
        """;

    private readonly GitRepo _repo = GitRepo.Init();
    private readonly TempDir _state = new("gitorch-state");
    private readonly TempDir _outside = new("gitorch-outside");

    public void Dispose()
    {
        _repo.Dispose();
        _state.Dispose();
        _outside.Dispose();
    }

    private async Task<(ControllerService Controller, string Good)> StartAsync()
    {
        _repo.Write("apps/worker.yaml", Manifests.Pod("worker"));
        var good = _repo.Commit("Worker");
        var controller = await Controllers.OpenAsync(_repo.Root, _state.Path);
        await controller.SyncAsync();
        return (controller, good);
    }

    [Fact]
    public async Task AnAliasBombCommit_IsRejectedWhole_AndTheNextCommitApplies()
    {
        var (controller, good) = await StartAsync();
        await using var _ = controller;
        _repo.Write("apps/bomb.yaml", Bomb);
        var bad = _repo.Commit("Laugh");
        await controller.SyncAsync();

        var record = controller.Store.FindCommit(bad)!;
        Assert.Equal(CommitRecord.Rejected, record.State);
        var d = Assert.Single(record.Diagnostics, x => x.IsError);
        Assert.Equal(("apps/bomb.yaml", DiagnosticCodes.AliasExpansion), (d.File, d.Code));
        Assert.Equal(good, controller.Status.LastApplied);

        _repo.Delete("apps/bomb.yaml");
        var fixedCommit = _repo.Commit("No laughing");
        await controller.SyncAsync();
        Assert.Equal(fixedCommit, controller.Status.LastApplied);
    }

    [Fact]
    public async Task ASymlinkInTheCommit_IsRejectedByName_WithoutItsTarget()
    {
        var (controller, good) = await StartAsync();
        await using var _ = controller;
        var secret = Path.Combine(_outside.Path, "credentials");
        File.WriteAllText(secret, "token: s3cr3t-never-shown\n");
        File.CreateSymbolicLink(_repo.PathOf("apps/creds.yaml"), secret);
        var bad = _repo.Commit("Link credentials");
        Assert.StartsWith("120000", _repo.Git("ls-tree", "HEAD", "apps/creds.yaml"), StringComparison.Ordinal);
        await controller.SyncAsync();

        var record = controller.Store.FindCommit(bad)!;
        Assert.Equal(CommitRecord.Rejected, record.State);
        var d = Assert.Single(record.Diagnostics, x => x.IsError);
        Assert.Equal(("apps/creds.yaml", DiagnosticCodes.NotRegularFile, 1, 1), (d.File, d.Code, d.Line, d.Column));
        var shown = string.Join('\n', record.Diagnostics.Select(x => x.ToString()));
        Assert.DoesNotContain("s3cr3t", shown, StringComparison.Ordinal);
        Assert.DoesNotContain(_outside.Path, shown, StringComparison.Ordinal);
        Assert.Equal(good, controller.Status.LastApplied);
    }

    [Fact]
    public async Task AFileOverTheLimit_IsRejectedByItsSize()
    {
        var (controller, _) = await StartAsync();
        await using var __ = controller;
        _repo.Write("apps/huge.yaml", "# " + new string('x', 1024 * 1024) + "\n");
        var bad = _repo.Commit("Huge");
        await controller.SyncAsync();

        var d = Assert.Single(controller.Store.FindCommit(bad)!.Diagnostics, x => x.IsError);
        Assert.Equal(("apps/huge.yaml", DiagnosticCodes.FileTooLarge), (d.File, d.Code));
    }

    [Fact]
    public async Task AFileWhoseNameHasABackslash_IsReadUnderItsOwnName_InAOneFileCommit()
    {
        var (controller, _) = await StartAsync();
        await using var __ = controller;
        _repo.Write("apps/odd\\name.yaml", Manifests.Pod("odd"));
        var odd = _repo.Commit("A file whose name has a backslash");
        await controller.SyncAsync();

        Assert.Equal(CommitRecord.Applied, controller.Store.FindCommit(odd)!.State);
        Assert.Equal("apps/odd\\name.yaml", controller.Store.Get(new ObjectRef("Pod", "demo", "odd"))!.File);
    }

    private static string Limits(string maxFileBytes) => $$"""
        apiVersion: gitorch.dev/v1
        kind: ClusterPolicy
        metadata: {name: cluster}
        spec:
          limits: {maxFileBytes: {{maxFileBytes}}}
        """;

    [Fact]
    public async Task ALargeFileThePolicyAllowed_IsRejected_WhenALaterCommitLowersTheLimit_AndNothingElseChanges()
    {
        var (controller, _) = await StartAsync();
        await using var __ = controller;
        _repo.Write("policy.yaml", Limits("4194304")).Write("apps/large.yaml", Manifests.Pod("large") + "# " + new string('x', 2 * 1024 * 1024) + "\n");
        var allowed = _repo.Commit("A large file the policy allows");
        await controller.SyncAsync();
        Assert.Equal(CommitRecord.Applied, controller.Store.FindCommit(allowed)!.State);

        // Only the policy changes: the large file is the same blob, read before.
        _repo.Write("policy.yaml", Limits("1048576"));
        var lowered = _repo.Commit("Lower the limit");
        await controller.SyncAsync();
        var commit = controller.Store.FindCommit(lowered)!;
        Assert.Equal(CommitRecord.Rejected, commit.State);
        var d = Assert.Single(commit.Diagnostics, x => x.IsError);
        Assert.Equal(("apps/large.yaml", DiagnosticCodes.FileTooLarge), (d.File, d.Code));
    }
}
