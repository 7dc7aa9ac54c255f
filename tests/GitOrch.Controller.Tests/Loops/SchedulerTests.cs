using System.Globalization;
using System.Text.Json.Nodes;
using GitOrch.Controller.Loops;
using GitOrch.Controller.Nodes;
using GitOrch.Controller.Tests.Support;
using GitOrch.Controller.Workflows;
using GitOrch.Core.Manifests;
using GitOrch.Core.Schema;
using GitOrch.History;
using GitOrch.Workflow.Model;
using Microsoft.Extensions.Logging.Abstractions;
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
    [Fact]
    public async Task DeletingAPod_FreesItsRoom_SoAWaitingPodIsPlacedThere()
    {
        _repo.Write("apps/one.yaml", Manifests.Pod("one", cpu: "800m")).Write("apps/two.yaml", Manifests.Pod("two", cpu: "800m"));
        _repo.Commit("Two pods for room for one");
        await using var controller = await Controllers.OpenAsync(_repo.Root, _state.Path, Node("node-a", cpuMillis: 1000));
        await controller.SyncAsync();

        // The two pods' workflows run at once: either may take the room.
        var placed = NodeOf(controller, "one") is null ? "two" : "one";
        var waiting = placed == "one" ? "two" : "one";
        Assert.Equal("node-a", NodeOf(controller, placed));
        Assert.Null(NodeOf(controller, waiting));
        Assert.Equal(
            "no node fits 800m cpu and 67108864 bytes of memory with nodeSelector {} (node-a: 200m cpu and 1006632960 bytes free)",
            controller.SchedulerMessage(PodRef(waiting)));

        _repo.Delete($"apps/{placed}.yaml");
        _repo.Commit("The placed pod goes");
        await controller.SyncAsync();
        _repo.Write($"apps/{waiting}.yaml", Manifests.Pod(waiting, cpu: "800m", greeting: "again"));
        _repo.Commit("The waiting pod again");
        await controller.SyncAsync();

        Assert.Equal("node-a", NodeOf(controller, waiting));
        Assert.Equal(new NodeUsage(800, 64L << 20, 1), controller.Workflows.Pods.Usage("node-a"));
    }

    [Fact]
    public async Task APodThatFitsNowhere_IsPlacedAsSoonAsANodeJoins_WithoutWaitingOutItsDelay()
    {
        _repo.Write("apps/worker.yaml", Manifests.Pod("worker"));
        _repo.Commit("A pod before any node");
        var time = new ManualTime(); // The clock never moves: only the node's arrival can run the step again.
        await using var controller = await ControllerService.OpenAsync(Options(_repo.Root, _state.Path), NullLoggerFactory.Instance, time, CancellationToken.None);
        await controller.SyncAsync();
        Assert.Null(NodeOf(controller, "worker"));
        var waiting = controller.Workflows.Engine.Current(PodRef("worker"))!.Find("scheduler")!;
        Assert.Equal(time.GetUtcNow() + Scheduler.RetryUnschedulable(1), waiting.NextAttemptAt);

        controller.Nodes.Register(Node("node-a"));

        await UntilAsync(() => NodeOf(controller, "worker") == "node-a", "the pod is placed on the node that joined");
        Assert.Equal("place Pod demo/worker on node-a", controller.SchedulerMessage(PodRef("worker")));
    }

    [Fact]
    public async Task ANodeThatChangesAtEveryHeartbeat_BringsAtMostOneTryOfTheWaitingPodsPerGap()
    {
        _repo.Write("apps/picky.yaml", Manifests.Pod("picky", nodeSelector: "{gpu: \"yes\"}"));
        _repo.Commit("A pod no node fits");
        var time = new ManualTime();
        await using var controller = await ControllerService.OpenAsync(Options(_repo.Root, _state.Path), NullLoggerFactory.Instance, time, CancellationToken.None);
        await controller.SyncAsync();
        Unit Step() => controller.Workflows.Engine.Current(PodRef("picky"))!.Find("scheduler")!;
        await UntilAsync(() => Step() is { State: UnitState.Waiting, Attempts: 1 }, "the pod to wait for a node");

        // A node that joins after a quiet spell has the waiting pods tried at once.
        controller.Nodes.Register(Node("node-a"));
        Assert.Equal(1, controller.Workflows.NodeWakes);
        await UntilAsync(() => Step() is { State: UnitState.Waiting, Attempts: 2 }, "the pod tried again on the node's arrival");

        // The node then flips a label at every 2 s heartbeat: no try until the gap is over...
        for (var beat = 1; beat <= 4; beat++)
        {
            time.Advance(TimeSpan.FromSeconds(2));
            controller.Nodes.Register(Node("node-a", labels: new Dictionary<string, string> { ["flap"] = (beat % 2).ToString(CultureInfo.InvariantCulture) }));
            Assert.Equal(1, controller.Workflows.NodeWakes);
        }

        // ...and then one try for all of those changes.
        time.Advance(WorkflowService.NodeWakeGap - TimeSpan.FromSeconds(8));
        await UntilAsync(() => controller.Workflows.NodeWakes == 2 && Step() is { State: UnitState.Waiting, Attempts: 3 }, "one try at the end of the gap");
        Assert.Null(NodeOf(controller, "picky"));
    }

    [Fact]
    public async Task DeletingAPod_WakesAPodWaitingForRoom_WithoutAChangeOfItsOwn()
    {
        _repo.Write("apps/one.yaml", Manifests.Pod("one", cpu: "800m")).Write("apps/two.yaml", Manifests.Pod("two", cpu: "800m"));
        _repo.Commit("Two pods for room for one");
        var time = new ManualTime();
        await using var controller = await ControllerService.OpenAsync(Options(_repo.Root, _state.Path, Node("node-a", cpuMillis: 1000)), NullLoggerFactory.Instance, time, CancellationToken.None);
        await controller.SyncAsync();
        var placed = NodeOf(controller, "one") is null ? "two" : "one";
        var waiting = placed == "one" ? "two" : "one";
        Assert.Null(NodeOf(controller, waiting));

        _repo.Delete($"apps/{placed}.yaml");
        _repo.Commit("The placed pod goes");
        await controller.SyncAsync();

        await UntilAsync(() => NodeOf(controller, waiting) == "node-a", "the waiting pod is placed in the room freed");
        Assert.Equal(new NodeUsage(800, 64L << 20, 1), controller.Workflows.Pods.Usage("node-a"));
    }

    [Fact]
    public void TheDelayOfAPodThatFitsNowhere_DoublesFrom10SecondsTo5Minutes()
    {
        Assert.Equal(
            [10, 20, 40, 80, 160, 300, 300],
            new[] { 1, 2, 3, 4, 5, 6, 50 }.Select(a => Scheduler.RetryUnschedulable(a).TotalSeconds));
    }

    [Fact]
    public async Task MovingAPod_FreesItsRoomOnTheNodeItLeft()
    {
        var zoneA = new Dictionary<string, string> { ["zone"] = "a" };
        var zoneB = new Dictionary<string, string> { ["zone"] = "b" };
        _repo.Write("apps/one.yaml", Manifests.Pod("one", cpu: "800m", nodeSelector: "{zone: b}"))
            .Write("apps/two.yaml", Manifests.Pod("two", cpu: "800m", nodeSelector: "{zone: b}"));
        _repo.Commit("Two pods for zone b, room for one");
        await using var controller = await Controllers.OpenAsync(_repo.Root, _state.Path, Node("node-a", cpuMillis: 1000, labels: zoneA), Node("node-b", cpuMillis: 1000, labels: zoneB));
        await controller.SyncAsync();
        var first = NodeOf(controller, "one") is null ? "two" : "one";
        var second = first == "one" ? "two" : "one";
        Assert.Equal("node-b", NodeOf(controller, first));
        Assert.Null(NodeOf(controller, second));

        _repo.Write($"apps/{first}.yaml", Manifests.Pod(first, cpu: "800m", nodeSelector: "{zone: a}"));
        _repo.Commit("The placed pod moves to zone a");
        await controller.SyncAsync();
        Assert.Equal("node-a", NodeOf(controller, first));
        _repo.Write($"apps/{second}.yaml", Manifests.Pod(second, cpu: "800m", nodeSelector: "{zone: b}", greeting: "again"));
        _repo.Commit("The waiting pod again");
        await controller.SyncAsync();

        Assert.Equal("node-b", NodeOf(controller, second));
        Assert.Equal(1, controller.Workflows.Pods.Usage("node-a").Pods);
        Assert.Equal(1, controller.Workflows.Pods.Usage("node-b").Pods);
    }

    [Fact]
    public async Task AfterARestart_PlacementsCountThePodsPlacedBefore()
    {
        _repo.Write("apps/one.yaml", Manifests.Pod("one", cpu: "1500m"));
        _repo.Commit("One");
        await using (var before = await Controllers.OpenAsync(_repo.Root, _state.Path, Node("node-a"), Node("node-b", cpuMillis: 1600)))
        {
            await before.SyncAsync();
            Assert.Equal("node-b", NodeOf(before, "one"));
        }

        _repo.Write("apps/two.yaml", Manifests.Pod("two", cpu: "500m"));
        _repo.Commit("Two");
        await using var controller = await Controllers.OpenAsync(_repo.Root, _state.Path, Node("node-a"), Node("node-b", cpuMillis: 1600));
        Assert.Equal(new NodeUsage(1500, 64L << 20, 1), controller.Workflows.Pods.Usage("node-b")); // Rebuilt from the store alone.
        await controller.SyncAsync();

        Assert.Equal("node-a", NodeOf(controller, "two"));
        Assert.Equal("node-b", NodeOf(controller, "one"));
    }

    [Fact]
    public async Task ConcurrentPlacements_NeverShareANodesLastRoom()
    {
        for (var i = 0; i < 12; i++)
        {
            _repo.Write($"apps/p{i}.yaml", Manifests.Pod($"p{i}", cpu: "500m"));
        }

        _repo.Commit("Twelve pods, no node yet");
        await using var controller = await Controllers.OpenAsync(_repo.Root, _state.Path);
        await controller.SyncAsync();
        // A scheduler of its own on the same store (the controller's own steps wait for a node that never joins it).
        using var index = new PodIndex(controller.Store);
        var registry = new NodeRegistry();
        registry.Register(Node("node-a", cpuMillis: 2000)); // Room for four.
        var scheduler = new Scheduler(index, registry);
        var pods = Enumerable.Range(0, 12).Select(i => (Ref: PodRef($"p{i}"), Json: ManifestJson.Parse(controller.Store.Get(PodRef($"p{i}"))!.ObjectJson))).ToList();

        var results = new SchedulingResult[pods.Count];
        using var start = new Barrier(pods.Count);
        var threads = pods.Select((p, i) => new Thread(() =>
        {
            start.SignalAndWait();
            results[i] = scheduler.Place(p.Ref, p.Json);
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());

        Assert.Equal(4, results.Count(r => r.Node == "node-a"));
        Assert.Equal(8, results.Count(r => r.Node is null));
        Assert.Equal(new NodeUsage(2000, 4 * (64L << 20), 4), index.Usage("node-a"));
    }
}
