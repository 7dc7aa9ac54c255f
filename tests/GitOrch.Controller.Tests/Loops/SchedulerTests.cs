using System.Text.Json.Nodes;
using GitOrch.Controller.Loops;
using GitOrch.Controller.Tests.Support;
using GitOrch.Core.Manifests;
using GitOrch.Core.Schema;
using GitOrch.History;
using static GitOrch.Controller.Tests.Support.Controllers;

namespace GitOrch.Controller.Tests.Loops;

/// <summary>The built-in scheduler, fed by real commits through the controller.</summary>
public sealed class SchedulerTests : IDisposable
{
    private static readonly string[] NodeNameField = [Scheduler.Field];

    private readonly GitRepo _repo = GitRepo.Init();
    private readonly TempDir _state = new("gitorch-state");

    public void Dispose()
    {
        _repo.Dispose();
        _state.Dispose();
    }

    private static string? NodeOf(ControllerService controller, string pod) =>
        (string?)ManifestJson.Parse(controller.Store.Get(PodRef(pod))!.ObjectJson).SelectPath("status.nodeName");

    [Fact]
    public async Task PlacesAPodOnTheOnlyNodeWithRoom()
    {
        _repo.Write("apps/big.yaml", Manifests.Pod("big", cpu: "1500m"));
        _repo.Commit("Big pod");
        await using var controller = await Controllers.OpenAsync(_repo.Root, _state.Path, Node("node-a", cpuMillis: 1000), Node("node-b", cpuMillis: 2000));

        await controller.SyncAsync();

        Assert.Equal("node-b", NodeOf(controller, "big"));
    }

    [Fact]
    public async Task BinPacking_PrefersTheFullerOfTwoFittingNodes()
    {
        var zoneB = new Dictionary<string, string> { ["zone"] = "b" };
        _repo.Write("apps/first.yaml", Manifests.Pod("first", nodeSelector: "{zone: b}"));
        _repo.Commit("First pod, pinned to zone b");
        await using var controller = await Controllers.OpenAsync(_repo.Root, _state.Path, Node("node-a"), Node("node-b", labels: zoneB));
        await controller.SyncAsync();
        Assert.Equal("node-b", NodeOf(controller, "first"));

        _repo.Write("apps/second.yaml", Manifests.Pod("second"));
        _repo.Commit("Second pod, anywhere");
        await controller.SyncAsync();

        Assert.Equal("node-b", NodeOf(controller, "second"));
    }

    [Fact]
    public async Task HonoursNodeSelectorLabels()
    {
        var home = new Dictionary<string, string> { ["zone"] = "home", ["disk"] = "ssd" };
        _repo.Write("apps/worker.yaml", Manifests.Pod("worker", nodeSelector: "{zone: home}"))
            .Write("apps/free.yaml", Manifests.Pod("free"));
        _repo.Commit("Two pods");
        await using var controller = await Controllers.OpenAsync(_repo.Root, _state.Path, Node("node-a"), Node("node-b", labels: home));

        await controller.SyncAsync();

        Assert.Equal("node-b", NodeOf(controller, "worker"));
    }

    [Fact]
    public async Task LeavesAPodUnplaced_WithAMessageExplainingEveryNode_WhenNothingFits()
    {
        _repo.Write("apps/huge.yaml", Manifests.Pod("huge", cpu: "8000m"))
            .Write("apps/picky.yaml", Manifests.Pod("picky", nodeSelector: "{gpu: \"yes\"}"));
        var sha = _repo.Commit("Pods that cannot run here");
        await using var controller = await Controllers.OpenAsync(_repo.Root, _state.Path, Node("node-a", cpuMillis: 2000), Node("node-b", cpuMillis: 4000));
        await controller.SyncAsync();

        _ = sha;
        Assert.Equal(
            (IEnumerable<string?>)[
                "no node fits 8000m cpu and 67108864 bytes of memory with nodeSelector {} (node-a: 2000m cpu and 1073741824 bytes free; node-b: 4000m cpu and 1073741824 bytes free)",
                "no node fits 250m cpu and 67108864 bytes of memory with nodeSelector {gpu: yes} (node-a: lacks nodeSelector labels; node-b: lacks nodeSelector labels)",
            ],
            (IEnumerable<string?>)[controller.SchedulerMessage(PodRef("huge")), controller.SchedulerMessage(PodRef("picky"))]);
        Assert.Null(NodeOf(controller, "huge"));
        Assert.Single(controller.Store.History(PodRef("huge")));
        Assert.Single(controller.Store.History(PodRef("picky")));
    }

    [Fact]
    public async Task WithNoNodes_SaysToStartAnAgent()
    {
        _repo.Write("apps/worker.yaml", Manifests.Pod("worker"));
        var sha = _repo.Commit("Worker");
        await using var controller = await Controllers.OpenAsync(_repo.Root, _state.Path);
        await controller.SyncAsync();

        _ = sha;
        Assert.Null(NodeOf(controller, "worker"));
        Assert.Equal("no node is registered; start an agent (or gitorch up, which runs one)", controller.SchedulerMessage(PodRef("worker")));
    }

    [Fact]
    public async Task CountsReservationsOfPlacedPods_SoAFullNodeIsSkipped()
    {
        _repo.Write("apps/one.yaml", Manifests.Pod("one", cpu: "1500m"));
        _repo.Commit("One");
        await using var controller = await Controllers.OpenAsync(_repo.Root, _state.Path, Node("node-a"), Node("node-b", cpuMillis: 1600));
        await controller.SyncAsync();
        Assert.Equal("node-b", NodeOf(controller, "one"));

        _repo.Write("apps/two.yaml", Manifests.Pod("two", cpu: "500m"));
        _repo.Commit("Two");
        await controller.SyncAsync();

        Assert.Equal("node-a", NodeOf(controller, "two"));
    }

    [Fact]
    public async Task Placement_IsAMechanicalVersionByTheScheduler_ThatWritesOnlyStatusNodeName()
    {
        _repo.Write("apps/worker.yaml", Manifests.Pod("worker"));
        var sha = _repo.Commit("Worker");
        await using var controller = await Controllers.OpenAsync(_repo.Root, _state.Path, Node("node-a"));

        await controller.SyncAsync();

        var history = controller.Store.History(PodRef("worker"));
        Assert.Equal(["git/x@example.com", "control-loop/scheduler", "control-loop/ipam"], history.Select(v => v.Changer)); // Git, then the scheduler, then ipam (the address).
        Assert.Equal("control-loop/ipam", history[2].Changer);
        var placed = history[1];
        Assert.Equal("control-loop/scheduler", placed.Changer);
        Assert.Equal(ChangeKind.Mechanical, placed.Kind);
        Assert.Equal(NodeNameField, placed.Fields);
        Assert.Equal(sha, placed.SourceCommit);
        var before = ManifestJson.Parse(controller.Store.Version(PodRef("worker"), 1)!.ObjectJson!);
        var after = ManifestJson.Parse(controller.Store.Version(PodRef("worker"), 2)!.ObjectJson!);
        Assert.Equal("node-a", (string?)after.SelectPath("status.nodeName"));
        after.Remove("status");
        Assert.True(JsonNode.DeepEquals(before, after), $"the scheduler changed more than status:\n{before}\n{after}");
        Assert.Equal("control-loop/ipam", controller.Store.Get(PodRef("worker"))!.LastChanger); // ipam ran after it
    }

    [Fact]
    public async Task Status_SurvivesALaterGitChangeToThePodSpec()
    {
        _repo.Write("apps/worker.yaml", Manifests.Pod("worker"));
        _repo.Commit("Worker");
        await using var controller = await Controllers.OpenAsync(_repo.Root, _state.Path, Node("node-a"), Node("node-b"));
        await controller.SyncAsync();
        Assert.Equal("node-a", NodeOf(controller, "worker"));

        _repo.Write("apps/worker.yaml", Manifests.Pod("worker", greeting: "bonjour"));
        var change = _repo.Commit("French", "alice@example.com");
        await controller.SyncAsync();

        var history = controller.Store.History(PodRef("worker"));
        Assert.Equal([1, 2, 3, 4], history.Select(v => v.Version)); // Git, scheduler, ipam, Git.
        Assert.Equal((ChangeKind.External, "git/alice@example.com", change), (history[3].Kind, history[3].Changer, history[3].SourceCommit));
        Assert.Equal(["spec.containers[0].env.GREETING"], history[3].Fields);
        var third = ManifestJson.Parse(controller.Store.Version(PodRef("worker"), 4)!.ObjectJson!);
        Assert.Equal("node-a", (string?)third.SelectPath("status.nodeName"));
        Assert.Equal("bonjour", (string?)third.SelectPath("spec.containers[0].env.GREETING"));
        Assert.Equal("node-a", NodeOf(controller, "worker"));
    }
}
