using System.Text.Json.Nodes;
using GitOrch.Agent.Tests.Support;
using GitOrch.Controller;
using GitOrch.Core.AgentApi;
using GitOrch.Core.Diagnostics;
using GitOrch.Core.Manifests;
using GitOrch.Core.Schema;
using Microsoft.Extensions.Logging.Abstractions;

namespace GitOrch.Agent.Tests;

/// <summary>
/// Node health as the controller sees it through agent heartbeats (DESIGN.md idea 9): a silent
/// node becomes not ready and its <c>ha</c> pods move at once; <c>best-effort</c> pods move only when
/// an operator declares the node dead.
/// </summary>
public sealed class NodeHealthTests : IAsyncLifetime
{
    private static readonly ObjectRef Web = new("Pod", "demo", "web");
    private static readonly ObjectRef Batch = new("Pod", "demo", "batch");

    private readonly GitRepo _repo = GitRepo.Init();
    private readonly TempDir _state = new("gitorch-controller-state");
    private readonly OffsetTime _time = new();
    private ControllerService? _controller;

    private ControllerService Controller => _controller!;

    public async Task InitializeAsync()
    {
        _repo.Write("apps/web.yaml", Pod("web", "ha")).Write("apps/batch.yaml", Pod("batch", "best-effort"));
        _repo.Commit("An ha pod and a best-effort pod");
        _controller = await ControllerService.OpenAsync(
            new ControllerOptions { Repo = _repo.Root, StateDir = _state.Path, Listen = "https://127.0.0.1:0", Poll = TimeSpan.FromHours(1), NodeGrace = TimeSpan.FromSeconds(30) },
            NullLoggerFactory.Instance,
            _time,
            CancellationToken.None);
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

    private static string Pod(string name, string availability) => $"""
        apiVersion: gitorch.dev/v1
        kind: Pod
        metadata:
          name: {name}
          namespace: demo
        spec:
          availability: {availability}
          containers:
            - name: main
              image: busybox:1.35
              command: ["/bin/sh", "-c", "sleep 300"]
              resources:
                cpu: 250m
                memory: 64Mi

        """;

    /// <summary>What an agent sends; node-b is small, so bin-packing puts both pods there first.</summary>
    private void Heartbeat(string node) =>
        Controller.Agents.Heartbeat(new NodeHeartbeat(node, new Dictionary<string, string>(), node == "node-b" ? 1000 : 8000, node == "node-b" ? 1L << 30 : 8L << 30, [], [], ["process", "oci"]));

    private string? NodeOf(ObjectRef pod) => (string?)ManifestJson.Parse(Controller.Store.Get(pod)!.ObjectJson).SelectPath("status.nodeName");

    private async Task SyncAsync()
    {
        Assert.True(await Controller.SyncOnceAsync(CancellationToken.None), Controller.Status.LastError);
        using var limit = new CancellationTokenSource(Eventually.Deadline);
        await Controller.Workflows.Engine.WhenQuietAsync(limit.Token);
    }

    /// <summary>node-b's last heartbeat; a minute passes in which only node-a heartbeats; then the controller checks node health.</summary>
    private void NodeBSilentForAMinute()
    {
        Heartbeat("node-b");
        _time.Advance(TimeSpan.FromMinutes(1));
        Heartbeat("node-a");
        Controller.CheckNodes();
    }

    [Fact]
    public async Task ASilentNode_BecomesNotReady_ItsHaPodMovesAtOnce_ItsBestEffortPodStays()
    {
        Heartbeat("node-a");
        Heartbeat("node-b");
        await SyncAsync();
        Assert.Equal(("node-b", "node-b"), (NodeOf(Web), NodeOf(Batch)));

        NodeBSilentForAMinute();

        Assert.Equal("not ready: no heartbeat for 60s", Controller.Nodes.Condition("node-b"));
        Assert.Null(Controller.Nodes.Condition("node-a"));
        Assert.Equal("node-b", NodeOf(Batch));
        await Eventually.Until(() => NodeOf(Web), n => n == "node-a", "the ha pod to be placed on node-a");
        Assert.Equal("node-b", NodeOf(Batch));
        Assert.Equal(["node-a"], Controller.Nodes.Schedulable.Select(n => n.Name));
    }

    [Fact]
    public async Task DeclaringTheNodeDead_MovesTheBestEffortPod_AndAnswersWhichPodsMoved()
    {
        Heartbeat("node-a");
        Heartbeat("node-b");
        await SyncAsync();
        NodeBSilentForAMinute();
        await Eventually.Until(() => NodeOf(Web), n => n == "node-a", "the ha pod to be placed on node-a");

        var moved = Controller.DeclareDead("node-b");

        Assert.Equal([Batch], moved);
        Assert.Equal("declared dead by an operator (gitorch node dead)", Controller.Nodes.Condition("node-b"));
        await Eventually.Until(() => NodeOf(Batch), n => n == "node-a", "the best-effort pod to be placed on node-a");
        Assert.Equal("node-a", NodeOf(Web));
    }

    [Fact]
    public async Task DeclaringAHealthyNodeDead_MovesEveryPodOnIt()
    {
        Heartbeat("node-a");
        Heartbeat("node-b");
        await SyncAsync();

        var moved = Controller.DeclareDead("node-b");

        Assert.Equal([Batch, Web], moved.OrderBy(p => p.Name, StringComparer.Ordinal));
        await Eventually.Until(() => (NodeOf(Web), NodeOf(Batch)), n => n == ("node-a", "node-a"), "both pods to be placed on node-a");
    }

    [Fact]
    public async Task ANodeSilentForLessThanTheGrace_StaysReady_AndKeepsItsPods()
    {
        Heartbeat("node-a");
        Heartbeat("node-b");
        await SyncAsync();

        Heartbeat("node-b");
        _time.Advance(TimeSpan.FromSeconds(29));
        Heartbeat("node-a");
        Controller.CheckNodes();

        Assert.Null(Controller.Nodes.Condition("node-b"));
        Assert.Equal(("node-b", "node-b"), (NodeOf(Web), NodeOf(Batch)));
    }

    [Fact]
    public async Task ANotReadyNode_ThatHeartbeatsAgain_IsSchedulableAgain()
    {
        Heartbeat("node-a");
        Heartbeat("node-b");
        await SyncAsync();
        NodeBSilentForAMinute();
        Assert.NotNull(Controller.Nodes.Condition("node-b"));

        Heartbeat("node-b");

        Assert.Null(Controller.Nodes.Condition("node-b"));
        Assert.Equal(["node-a", "node-b"], Controller.Nodes.Schedulable.Select(n => n.Name));
    }
}
