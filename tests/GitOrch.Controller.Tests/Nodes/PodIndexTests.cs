using System.Text.Json.Nodes;
using GitOrch.Controller.Loops;
using GitOrch.Controller.Nodes;
using GitOrch.Controller.Tests.Support;
using GitOrch.Core.Manifests;
using static GitOrch.Controller.Tests.Support.Controllers;

namespace GitOrch.Controller.Tests.Nodes;

/// <summary>
/// The pod index on a real store: built from it, kept by its writes, and claims that count the
/// moment a placement is decided, giving way when the write lands, the pod is placed again or
/// deleted.
/// </summary>
public sealed class PodIndexTests : IAsyncLifetime
{
    private readonly GitRepo _repo = GitRepo.Init();
    private readonly TempDir _state = new("gitorch-state");
    private ControllerService? _controller;

    private ControllerService Controller => _controller!;

    public async Task InitializeAsync()
    {
        _repo.Write("apps/one.yaml", Manifests.Pod("one", cpu: "500m")).Write("apps/two.yaml", Manifests.Pod("two", cpu: "700m", memory: "32Mi"));
        _repo.Commit("Two pods, no node");
        _controller = await OpenAsync(_repo.Root, _state.Path);
        await Controller.SyncAsync();
    }

    public async Task DisposeAsync()
    {
        if (_controller is not null)
        {
            await _controller.DisposeAsync();
        }

        _repo.Dispose();
        _state.Dispose();
    }

    private static NodeRegistry Registry(params NodeInfo[] nodes)
    {
        var registry = new NodeRegistry();
        foreach (var node in nodes)
        {
            registry.Register(node);
        }

        return registry;
    }

    private JsonObject Json(string pod) => ManifestJson.Parse(Controller.Store.Get(PodRef(pod))!.ObjectJson);

    private void WriteNode(string pod, string? node) =>
        Assert.False(Controller.Writer.Update(PodRef(pod), Core.Ownership.BuiltInLoops.Scheduler, null, "test", current =>
        {
            if (current["status"] is not JsonObject status)
            {
                current["status"] = status = []; // A node has one parent: assign the new object once.
            }

            if (node is null)
            {
                status.Remove("nodeName");
            }
            else
            {
                status["nodeName"] = node;
            }

            return ["status.nodeName"];
        }).IsRefused);

    [Fact]
    public void IsBuiltFromTheStore_WithEveryPodUnplaced()
    {
        using var index = new PodIndex(Controller.Store);

        Assert.Equal(2, index.Count);
        Assert.Equal(new PodPlacement(null, 700, 32L << 20, null, [], false, null).ToString(), index.Of(PodRef("two"))!.ToString());
        Assert.Equal(default, index.Usage("node-a"));
    }

    [Fact]
    public void APlacement_CountsAtOnce_BeforeItsWriteReachesTheStore()
    {
        using var index = new PodIndex(Controller.Store);
        var scheduler = new Scheduler(index, Registry(Node("node-a", cpuMillis: 1000)));

        Assert.Equal("node-a", scheduler.Place(PodRef("one"), Json("one")).Node);
        Assert.Null(Json("one")["status"]?["nodeName"]); // Not written yet...
        Assert.Equal(new NodeUsage(500, 64L << 20, 1), index.Usage("node-a")); // ...but counted.
        Assert.Null(scheduler.Place(PodRef("two"), Json("two")).Node); // 500m + 700m > 1000m.
    }

    [Fact]
    public void AClaim_GivesWayWhenTheStoreSaysTheSame_SoALaterMoveFreesTheRoom()
    {
        using var index = new PodIndex(Controller.Store);
        var scheduler = new Scheduler(index, Registry(Node("node-a", cpuMillis: 1000)));
        Assert.Equal("node-a", scheduler.Place(PodRef("one"), Json("one")).Node);

        WriteNode("one", "node-a");
        Assert.Equal(1, index.Usage("node-a").Pods);
        WriteNode("one", null); // Rescheduled (node health): the store says unplaced, and no claim holds the room.

        Assert.Equal(default, index.Usage("node-a"));
        Assert.Equal("node-a", scheduler.Place(PodRef("two"), Json("two")).Node);
    }

    [Fact]
    public void AClaimWhoseWriteNeverLands_IsReplacedByThePodsNextPlacement()
    {
        using var index = new PodIndex(Controller.Store);
        var registry = Registry(Node("node-a", cpuMillis: 1000), Node("node-b", cpuMillis: 1000));
        var scheduler = new Scheduler(index, registry);
        Assert.Equal("node-a", scheduler.Place(PodRef("one"), Json("one")).Node);
        registry.MarkUnschedulable("node-a", "test");

        Assert.Equal("node-b", scheduler.Place(PodRef("one"), Json("one")).Node);

        Assert.Equal(default, index.Usage("node-a"));
        Assert.Equal(1, index.Usage("node-b").Pods);
    }

    [Fact]
    public async Task DeletingAPod_DropsItsClaimAndItsRoom()
    {
        using var index = new PodIndex(Controller.Store);
        var scheduler = new Scheduler(index, Registry(Node("node-a", cpuMillis: 1000)));
        Assert.Equal("node-a", scheduler.Place(PodRef("one"), Json("one")).Node);
        WriteNode("two", "node-b");

        _repo.Delete("apps/one.yaml").Delete("apps/two.yaml");
        _repo.Commit("Both go");
        await Controller.SyncAsync();

        Assert.Equal(0, index.Count);
        Assert.Null(index.Of(PodRef("one")));
        Assert.Equal(default, index.Usage("node-a"));
        Assert.Equal(default, index.Usage("node-b"));
    }

    [Fact]
    public async Task FollowsGitChangesToWhatAPlacedPodReserves()
    {
        using var index = new PodIndex(Controller.Store);
        WriteNode("one", "node-a");

        _repo.Write("apps/one.yaml", Manifests.Pod("one", cpu: "1200m", memory: "1Gi"));
        _repo.Commit("One grows");
        await Controller.SyncAsync();

        Assert.Equal(new NodeUsage(1200, 1L << 30, 1), index.Usage("node-a"));
        Assert.Equal(new NodeUsage(0, 0, 0), index.Usage("node-a", except: PodRef("one")));
    }

    [Fact]
    public async Task SaysRoomWasFreed_WhenAPlacedPodLeavesOrShrinks_AndOnlyThen()
    {
        using var index = new PodIndex(Controller.Store);
        var freed = 0;
        index.RoomFreed += () => Interlocked.Increment(ref freed);

        WriteNode("one", "node-a"); // Placed: takes room, frees none.
        _repo.Write("apps/one.yaml", Manifests.Pod("one", cpu: "900m"));
        _repo.Commit("One grows");
        await Controller.SyncAsync();
        Assert.Equal(0, freed);

        _repo.Write("apps/one.yaml", Manifests.Pod("one", cpu: "100m"));
        _repo.Commit("One shrinks");
        await Controller.SyncAsync();
        Assert.Equal(1, freed);

        WriteNode("one", "node-b"); // Moved: node-a has room again.
        Assert.Equal(2, freed);

        _repo.Delete("apps/one.yaml");
        _repo.Commit("One goes");
        await Controller.SyncAsync();
        Assert.Equal(3, freed);

        _repo.Delete("apps/two.yaml");
        _repo.Commit("Two, never placed, goes");
        await Controller.SyncAsync();
        Assert.Equal(3, freed);
    }

    [Fact]
    public void TheRegistrySaysANodeChanged_WhenItJoinsChangesOrComesBack_NotForAHeartbeatThatChangesNothing()
    {
        var registry = new NodeRegistry();
        var changed = 0;
        registry.Changed += () => changed++;

        registry.Register(Node("node-a", labels: new Dictionary<string, string> { ["zone"] = "a" }));
        Assert.Equal(1, changed);
        registry.Register(Node("node-a", labels: new Dictionary<string, string> { ["zone"] = "a" })); // The same heartbeat again.
        registry.MarkSchedulable("node-a"); // Already schedulable.
        Assert.Equal(1, changed);

        registry.Register(Node("node-a", labels: new Dictionary<string, string> { ["zone"] = "b" }));
        registry.Register(Node("node-a", cpuMillis: 4000, labels: new Dictionary<string, string> { ["zone"] = "b" }));
        registry.Register(Node("node-a", cpuMillis: 4000, memoryBytes: 2L << 30, labels: new Dictionary<string, string> { ["zone"] = "b" }));
        Assert.Equal(4, changed);

        registry.MarkUnschedulable("node-a", "not ready: no heartbeat for 30s");
        Assert.Equal(4, changed);
        registry.MarkSchedulable("node-a");
        Assert.Equal(5, changed);
    }

    [Fact]
    public void ConcurrentAssignments_NeverDrawTheSamePort()
    {
        using var index = new PodIndex(Controller.Store);
        WriteNode("one", "node-a");
        WriteNode("two", "node-a");
        var ports = new int[2];
        Parallel.For(0, 2, i =>
        {
            var pod = PodRef(i == 0 ? "one" : "two");
            ports[i] = index.Assign(pod, "node-a", (_, taken) => Enumerable.Range(Ipam.FirstHostPort, 100).First(p => !taken(p)), port => (null, [port]));
        });

        Assert.Equal([Ipam.FirstHostPort, Ipam.FirstHostPort + 1], ports.Order());
    }
}
