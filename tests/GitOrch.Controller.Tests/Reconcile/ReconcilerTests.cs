using System.Text.Json.Nodes;
using GitOrch.Controller.Tests.Support;
using GitOrch.Core.Diagnostics;
using GitOrch.Core.Manifests;
using GitOrch.Core.Schema;
using GitOrch.History;
using static GitOrch.Controller.Tests.Support.Controllers;

namespace GitOrch.Controller.Tests.Reconcile;

/// <summary>Config commits become object versions: driven through ControllerService.SyncOnceAsync on real repos.</summary>
public sealed class ReconcilerTests : IDisposable
{
    private static readonly string[] TopLevelFields = ["apiVersion", "kind", "metadata", "spec"];
    private static readonly string[] GreetingField = ["spec.containers[0].env.GREETING"];

    private readonly GitRepo _repo = GitRepo.Init();
    private readonly TempDir _state = new("gitorch-state");

    public void Dispose()
    {
        _repo.Dispose();
        _state.Dispose();
    }

    private Task<ControllerService> OpenAsync() => Controllers.OpenAsync(_repo.Root, _state.Path);

    private static string Greeting(ControllerService controller, string name) =>
        (string)ManifestJson.Parse(controller.Store.Get(PodRef(name))!.ObjectJson).SelectPath("spec.containers[0].env.GREETING")!;

    [Fact]
    public async Task FirstCommit_AppliesEveryObject_AsVersionOneByItsAuthor()
    {
        _repo.Write("apps/worker.yaml", Manifests.Pod("worker")).Write("apps/api.yaml", Manifests.Pod("api"));
        var sha = _repo.Commit("Add worker and api", "alice@example.com", "Alice");
        await using var controller = await OpenAsync();

        await controller.SyncAsync();

        Assert.Equal(sha, controller.Status.LastApplied);
        Assert.Equal(["api", "worker"], controller.Store.List("Pod").Select(o => o.Ref.Name));
        foreach (var name in new[] { "api", "worker" })
        {
            var version = Assert.Single(controller.Store.History(PodRef(name)));
            Assert.Equal(1, version.Version);
            Assert.Equal("git/alice@example.com", version.Changer);
            Assert.Equal(ChangeKind.External, version.Kind);
            Assert.Equal(sha, version.SourceCommit);
            Assert.Equal(TopLevelFields, version.Fields);
            Assert.False(version.Deleted);
            Assert.Equal($"apps/{name}.yaml", controller.Store.Get(PodRef(name))!.File);
        }

        var commit = controller.Store.FindCommit(sha)!;
        Assert.Equal(CommitRecord.Applied, commit.State);
        Assert.Equal("Alice", commit.AuthorName);
        Assert.Equal("alice@example.com", commit.AuthorEmail);
        Assert.Equal("Add worker and api", commit.Subject);
        Assert.Equal(2, commit.ObjectsChanged);
    }

    [Fact]
    public async Task OneFileCommit_ParsesOnlyThatFile_AndVersionsOnlyTheChangedObject_WithExactFieldPaths()
    {
        _repo.Write("apps/worker.yaml", Manifests.Pod("worker")).Write("apps/api.yaml", Manifests.Pod("api")).Write("apps/cron.yaml", Manifests.Pod("cron"));
        _repo.Commit("Three pods");
        await using var controller = await OpenAsync();
        await controller.SyncAsync();
        Assert.Equal(3, controller.Reconciler.FilesParsed);

        _repo.Write("apps/worker.yaml", Manifests.Pod("worker", greeting: "bonjour"));
        var second = _repo.Commit("Greet in French", "bob@example.com");
        await controller.SyncAsync();

        Assert.Equal(4, controller.Reconciler.FilesParsed);
        Assert.Equal((1, 2), (controller.Reconciler.ObjectsChecked, controller.Reconciler.ObjectsReused)); // the rules of one object ran for worker alone
        var history = controller.Store.History(PodRef("worker"));
        Assert.Equal([1, 2], history.Select(v => v.Version));
        Assert.Equal(GreetingField, history[1].Fields);
        Assert.Equal("git/bob@example.com", history[1].Changer);
        Assert.Equal(second, history[1].SourceCommit);
        Assert.Equal("bonjour", Greeting(controller, "worker"));
        Assert.Single(controller.Store.History(PodRef("api")));
        Assert.Single(controller.Store.History(PodRef("cron")));
        Assert.Equal(1, controller.Store.FindCommit(second)!.ObjectsChanged);
    }

    [Fact]
    public async Task CommitThatTouchesNoManifest_ParsesNothing_AndWritesNoVersion()
    {
        _repo.Write("apps/worker.yaml", Manifests.Pod("worker"));
        _repo.Commit("Worker");
        await using var controller = await OpenAsync();
        await controller.SyncAsync();

        _repo.Write("README.md", "# docs only\n");
        var docs = _repo.Commit("Docs");
        await controller.SyncAsync();

        Assert.Equal(1, controller.Reconciler.FilesParsed);
        Assert.Equal(docs, controller.Status.LastApplied);
        Assert.Equal(0, controller.Store.FindCommit(docs)!.ObjectsChanged);
        Assert.Single(controller.Store.History(PodRef("worker")));
    }

    [Fact]
    public async Task InvalidCommit_IsRejectedWithPositionedDiagnostics_AndChangesNoObject()
    {
        _repo.Write("apps/worker.yaml", Manifests.Pod("worker"));
        var good = _repo.Commit("Worker");
        await using var controller = await OpenAsync();
        await controller.SyncAsync();

        _repo.Write("apps/worker.yaml", Manifests.PodWithUnknownField("worker").Replace("GREETING: hello", "GREETING: broken", StringComparison.Ordinal));
        var bad = _repo.Commit("Add colour");
        await controller.SyncAsync();

        var record = controller.Store.FindCommit(bad)!;
        Assert.Equal(CommitRecord.Rejected, record.State);
        Assert.Equal(0, record.ObjectsChanged);
        var diagnostic = Assert.Single(record.Diagnostics, d => d.IsError);
        Assert.Equal(("apps/worker.yaml", 7, 3, "GO1004"), (diagnostic.File, diagnostic.Line, diagnostic.Column, diagnostic.Code));
        Assert.Equal(new ObjectRef("Pod", "demo", "worker"), diagnostic.Object);
        Assert.Equal(good, controller.Status.LastApplied);
        Assert.Equal(good, controller.Store.LastApplied);
        Assert.Single(controller.Store.History(PodRef("worker")));
        Assert.Equal("hello", Greeting(controller, "worker"));
    }

    [Fact]
    public async Task TheKeptFilesTreesAreReleased_AndAPositionInAnUnchangedFile_IsReadAgainFromItsText()
    {
        var worker = "# The worker.\n\n" + Manifests.Pod("worker");
        _repo.Write("apps/worker.yaml", worker);
        _repo.Commit("Worker");
        await using var controller = await OpenAsync();
        await controller.SyncAsync();
        CollectGarbage();
        Assert.All(controller.Reconciler.CachedObjects, o => Assert.False(o.HoldsDocument, $"{o.Ref.Display}'s positioned tree is still held"));

        _repo.Write("apps/copy.yaml", Manifests.Pod("worker"));
        var bad = _repo.Commit("The worker again");
        await controller.SyncAsync();

        var expected = GitOrch.Core.Loading.ManifestLoader.LoadFile(new GitOrch.Core.Loading.ManifestFile("apps/worker.yaml", worker)).Objects[0].At("metadata", "name");
        Assert.Equal(("apps/worker.yaml", 6), (expected.File, expected.Line));
        var record = controller.Store.FindCommit(bad)!;
        Assert.Equal(CommitRecord.Rejected, record.State);
        Assert.Contains(record.Diagnostics, d => d.Code == DiagnosticCodes.DuplicateObject && (d.Message.Contains($"at {expected}", StringComparison.Ordinal) || (d.File, d.Line, d.Column) == (expected.File, expected.Line, expected.Column)));
    }

    [Fact]
    public async Task AOneFileCommit_ReadsNoKeptFileAgain_WhenTheRulesOverLoopsAndTargetsRunAgain()
    {
        // Every commit registers the repo's loops and checks its targets' orderings; positions are
        // only looked up for a finding, so the kept files' texts are not read again.
        _repo.Write("cluster/loops.yaml", """
            apiVersion: gitorch.dev/v1
            kind: ControlLoop
            metadata: {name: nfs-mounts}
            spec:
              objectKinds: [Pod]
              step: {after: [scheduled.target], before: [storage.target], wants: [secrets.target]}
              owns: ["Pod:status.volumes"]
              reads: ["Pod:spec.volumes", "Pod:status.nodeName"]
              exec: {command: ["/usr/local/bin/nfs-loop"]}
            ---
            apiVersion: gitorch.dev/v1
            kind: Target
            metadata: {name: secrets.target}
            spec: {after: [scheduled.target], before: [running.target]}
            """);
        _repo.Write("apps/worker.yaml", Manifests.Pod("worker")).Write("apps/web.yaml", Manifests.PinnedDeployment(replicas: 2, percentNext: 0));
        _repo.Commit("Cluster, a pod and a rollout");
        await using var controller = await OpenAsync();
        await controller.SyncAsync();
        Assert.Contains(controller.Reconciler.CachedObjects, o => o.Object is ControlLoop);
        CollectGarbage(); // The released trees are gone: a position asked for now reads its file again.

        // Not a pod: the rules over loops, targets and rollouts run again.
        _repo.Write("apps/web.yaml", Manifests.PinnedDeployment(replicas: 3, percentNext: 0));
        var sha = _repo.Commit("Three replicas");
        await controller.SyncAsync();

        Assert.Equal(sha, controller.Status.LastApplied);
        Assert.Equal([], controller.Reconciler.CachedObjects.Where(o => o.Rereads > 0).Select(o => o.File).Distinct());
    }

    private static void CollectGarbage()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
    }

    [Fact]
    public async Task GoodCommitAfterARejectedOne_AppliesOnTopOfTheLastGoodCommit()
    {
        _repo.Write("apps/worker.yaml", Manifests.Pod("worker")).Write("apps/api.yaml", Manifests.Pod("api"));
        _repo.Commit("Two pods");
        await using var controller = await OpenAsync();
        await controller.SyncAsync();
        _repo.Write("apps/worker.yaml", Manifests.PodWithUnknownField("worker"));
        var bad = _repo.Commit("Broken");
        await controller.SyncAsync();

        _repo.Write("apps/worker.yaml", Manifests.Pod("worker", greeting: "fixed"));
        var fix = _repo.Commit("Fix", "carol@example.com");
        await controller.SyncAsync();

        Assert.Equal(CommitRecord.Rejected, controller.Store.FindCommit(bad)!.State);
        Assert.Equal(CommitRecord.Applied, controller.Store.FindCommit(fix)!.State);
        Assert.Equal(fix, controller.Status.LastApplied);
        var history = controller.Store.History(PodRef("worker"));
        Assert.Equal([1, 2], history.Select(v => v.Version));
        Assert.Equal(GreetingField, history[1].Fields);
        Assert.Equal(fix, history[1].SourceCommit);
        Assert.Equal("git/carol@example.com", history[1].Changer);
        Assert.Equal("fixed", Greeting(controller, "worker"));
        Assert.Single(controller.Store.History(PodRef("api")));
    }

    [Fact]
    public async Task SeveralCommitsPushedAtOnce_AreEachAppliedInOrder_WithTheirOwnAuthor()
    {
        _repo.Write("apps/worker.yaml", Manifests.Pod("worker"));
        var first = _repo.Commit("Worker");
        await using var controller = await OpenAsync();
        await controller.SyncAsync();

        _repo.Write("apps/worker.yaml", Manifests.Pod("worker", greeting: "bonjour"));
        var byAlice = _repo.Commit("French", "alice@example.com");
        _repo.Write("apps/worker.yaml", Manifests.Pod("worker", greeting: "bonjour", image: "busybox:1.36"));
        var byBob = _repo.Commit("Newer busybox", "bob@example.com");
        await controller.SyncAsync();

        var history = controller.Store.History(PodRef("worker"));
        Assert.Equal(
            [(1, "git/x@example.com", first), (2, "git/alice@example.com", byAlice), (3, "git/bob@example.com", byBob)],
            history.Select(v => (v.Version, v.Changer, v.SourceCommit)));
        Assert.Equal(GreetingField, history[1].Fields);
        Assert.Equal(["spec.containers[0].image"], history[2].Fields);
        Assert.Equal([byBob, byAlice, first], controller.Store.Commits().Select(c => c.Sha));
        Assert.All(controller.Store.Commits(), c => Assert.Equal(CommitRecord.Applied, c.State));
        Assert.Equal(byBob, controller.Status.LastApplied);
    }

    [Fact]
    public async Task DeletingAFile_WritesADeletionVersionOfItsObjects()
    {
        _repo.Write("apps/worker.yaml", Manifests.Pod("worker")).Write("apps/api.yaml", Manifests.Pod("api"));
        _repo.Commit("Two pods");
        await using var controller = await OpenAsync();
        await controller.SyncAsync();

        _repo.Delete("apps/api.yaml");
        var removal = _repo.Commit("Remove api", "dave@example.com");
        await controller.SyncAsync();

        var history = controller.Store.History(PodRef("api"));
        Assert.Equal([1, 2], history.Select(v => v.Version));
        Assert.True(history[1].Deleted);
        Assert.Equal(["*"], history[1].Fields);
        Assert.Equal("git/dave@example.com", history[1].Changer);
        Assert.Equal(removal, history[1].SourceCommit);
        Assert.True(controller.Store.Get(PodRef("api"))!.Deleted);
        Assert.Equal(["worker"], controller.Store.List("Pod").Select(o => o.Ref.Name));
        Assert.Single(controller.Store.History(PodRef("worker")));
    }

    [Fact]
    public async Task MovingAnObjectToAnotherFileUnchanged_WritesNoVersion_AndRecordsTheNewFile()
    {
        _repo.Write("apps/worker.yaml", Manifests.Pod("worker"));
        _repo.Commit("Worker");
        await using var controller = await OpenAsync();
        await controller.SyncAsync();

        _repo.Delete("apps/worker.yaml").Write("pods/worker.yaml", Manifests.Pod("worker"));
        var move = _repo.Commit("Move worker");
        await controller.SyncAsync();

        Assert.Equal(CommitRecord.Applied, controller.Store.FindCommit(move)!.State);
        Assert.Equal(0, controller.Store.FindCommit(move)!.ObjectsChanged);
        Assert.Single(controller.Store.History(PodRef("worker")));
        var stored = controller.Store.Get(PodRef("worker"))!;
        Assert.False(stored.Deleted);
        Assert.Equal("pods/worker.yaml", stored.File);
    }

    [Fact]
    public async Task ChangingGitorchIgnore_ReloadsTheTree_AndUnignoredObjectsAreAdded()
    {
        _repo.Write(".gitorchignore", "extra/\n").Write("apps/worker.yaml", Manifests.Pod("worker")).Write("extra/api.yaml", Manifests.Pod("api"));
        _repo.Commit("Worker, api ignored");
        await using var controller = await OpenAsync();
        await controller.SyncAsync();
        Assert.Equal(["worker"], controller.Store.List("Pod").Select(o => o.Ref.Name));

        _repo.Write(".gitorchignore", "# nothing ignored\n");
        var unignore = _repo.Commit("Stop ignoring extra/");
        await controller.SyncAsync();

        Assert.Equal(["api", "worker"], controller.Store.List("Pod").Select(o => o.Ref.Name));
        var api = Assert.Single(controller.Store.History(PodRef("api")));
        Assert.Equal(unignore, api.SourceCommit);
        Assert.Equal("extra/api.yaml", controller.Store.Get(PodRef("api"))!.File);
        Assert.Single(controller.Store.History(PodRef("worker")));
        Assert.Equal(2, controller.Reconciler.FilesParsed); // worker.yaml is served from the cache by its blob.
    }

    [Fact]
    public async Task ChangingGitorchIgnore_ToIgnoreAFolder_DeletesItsObjects()
    {
        _repo.Write("apps/worker.yaml", Manifests.Pod("worker")).Write("extra/api.yaml", Manifests.Pod("api"));
        _repo.Commit("Worker and api");
        await using var controller = await OpenAsync();
        await controller.SyncAsync();

        _repo.Write(".gitorchignore", "extra/\n");
        var ignore = _repo.Commit("Ignore extra/");
        await controller.SyncAsync();

        Assert.Equal(["worker"], controller.Store.List("Pod").Select(o => o.Ref.Name));
        var history = controller.Store.History(PodRef("api"));
        Assert.Equal([(1, false), (2, true)], history.Select(v => (v.Version, v.Deleted)));
        Assert.Equal(ignore, history[1].SourceCommit);
        Assert.Single(controller.Store.History(PodRef("worker")));
    }

    [Fact]
    public async Task ForcePush_AppliesTheRewrittenHead_AndRecordsANote()
    {
        _repo.Write("apps/worker.yaml", Manifests.Pod("worker"));
        var first = _repo.Commit("Worker");
        await using var controller = await OpenAsync();
        await controller.SyncAsync();
        _repo.Write("apps/worker.yaml", Manifests.Pod("worker", greeting: "bonjour"));
        var replaced = _repo.Commit("French");
        await controller.SyncAsync();

        _repo.Git("reset", "--quiet", "--hard", first);
        _repo.Write("apps/worker.yaml", Manifests.Pod("worker", greeting: "hola"));
        var rewritten = _repo.Commit("Spanish instead", "erin@example.com");
        await controller.SyncAsync();

        Assert.Equal(rewritten, controller.Status.LastApplied);
        var record = controller.Store.FindCommit(rewritten)!;
        Assert.Equal(CommitRecord.Applied, record.State);
        Assert.Equal($"history was rewritten: applied on top of {replaced[..12]}, which is not its ancestor", record.Note);
        var history = controller.Store.History(PodRef("worker"));
        Assert.Equal([1, 2, 3], history.Select(v => v.Version));
        Assert.Equal(("git/erin@example.com", rewritten), (history[2].Changer, history[2].SourceCommit));
        Assert.Equal(GreetingField, history[2].Fields);
        Assert.Equal("hola", Greeting(controller, "worker"));
    }

    [Fact]
    public async Task ForcePushBackToAnEarlierAppliedCommit_BringsTheClusterBackToIt()
    {
        _repo.Write("apps/worker.yaml", Manifests.Pod("worker"));
        var first = _repo.Commit("Worker");
        await using var controller = await OpenAsync();
        await controller.SyncAsync();
        _repo.Write("apps/worker.yaml", Manifests.Pod("worker", greeting: "bonjour"));
        _repo.Commit("French");
        await controller.SyncAsync();

        _repo.Git("reset", "--quiet", "--hard", first); // git push --force of main~1
        await controller.SyncAsync();

        Assert.Equal(first, controller.Status.Head);
        Assert.Equal(first, controller.Status.LastApplied);
        Assert.Equal("hello", Greeting(controller, "worker"));
    }
}
