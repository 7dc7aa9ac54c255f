using System.Text.Json.Nodes;
using GitOrch.Controller.Agents;
using GitOrch.Controller.Loops;
using GitOrch.Controller.Nodes;
using GitOrch.Controller.Tests.Support;
using GitOrch.Core.AgentApi;
using GitOrch.Core.Manifests;
using GitOrch.Workflow.Execution;
using GitOrch.Workflow.Loops;
using Microsoft.Extensions.Time.Testing;
using static GitOrch.Controller.Tests.Support.Controllers;

namespace GitOrch.Controller.Tests.Loops;

/// <summary>
/// The runtime loop against a real agent gateway (its SQLite file) and a fake clock: a pod whose
/// containers were just started is Running at once, but its step is done only once they have stayed
/// up <see cref="Runtime.StartupGrace"/>, so a container that crashes right after its start leaves
/// the step waiting (and <c>why</c> showing it), not done.
/// </summary>
public sealed class RuntimeStartupGraceTests : IAsyncLifetime
{
    private const string NodeName = "node-a";
    private readonly GitRepo _repo = GitRepo.Init();
    private readonly TempDir _state = new("gitorch-state");
    private readonly TempDir _gatewayState = new("gitorch-gateway");
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 1, 1, 12, 0, 0, TimeSpan.Zero));
    private ControllerService? _controller;
    private AgentGateway? _agents;

    private AgentGateway Agents => _agents!;

    public async Task InitializeAsync()
    {
        _repo.Write("apps/a.yaml", Manifests.Pod("a"));
        _repo.Commit("One pod");
        _controller = await OpenAsync(_repo.Root, _state.Path, Node(NodeName, cpuMillis: 4000));
        await _controller.SyncAsync();
        _agents = new AgentGateway(Path.Combine(_gatewayState.Path, "gateway.db"), new NodeRegistry(), _time);
    }

    public async Task DisposeAsync()
    {
        _agents?.Dispose();
        if (_controller is not null)
        {
            await _controller.DisposeAsync();
        }

        _repo.Dispose();
        _state.Dispose();
        _gatewayState.Dispose();
    }

    [Fact]
    public async Task JustStartedContainers_AreRunningAtOnce_ButTheStepIsDoneOnlyOnceTheyStayedUp()
    {
        var pod = Pod();
        var generation = await ProgrammedGenerationAsync(pod);
        Report(generation, "Running", ("running", _time.GetUtcNow() - TimeSpan.FromSeconds(0.5)));

        var starting = await RunAsync(pod);

        Assert.Equal("Running", starting.Set["status.phase"]!.ToString());
        Assert.Equal("running", starting.Set["status.containers"]![0]!["state"]!.ToString());
        Assert.Equal($"running on {NodeName}; done once its containers have stayed up 2s", starting.Message);
        Assert.Equal(1.5, starting.RequeueAfterSeconds!.Value, precision: 3);

        Apply(pod, starting);
        var early = await RunAsync(pod);
        Assert.Empty(early.Set); // Nothing changed: nothing written again.
        Assert.NotNull(early.RequeueAfterSeconds);

        _time.Advance(TimeSpan.FromSeconds(1.5));
        var done = await RunAsync(pod);

        Assert.Null(done.RequeueAfterSeconds);
        Assert.Equal($"running on {NodeName}", done.Message);
    }

    [Fact]
    public async Task AContainerThatCrashesWithinTheGrace_LeavesTheStepWaitingInACrashLoop()
    {
        var pod = Pod();
        var generation = await ProgrammedGenerationAsync(pod);
        var started = _time.GetUtcNow();
        Report(generation, "Running", ("running", started));
        Apply(pod, await RunAsync(pod));

        // One second up, the crash not reported yet: the step still waits (without the grace it
        // would be done here, and the crash loop that follows would block nothing).
        _time.Advance(TimeSpan.FromSeconds(1));
        var stillStarting = await RunAsync(pod);
        Assert.Equal($"running on {NodeName}; done once its containers have stayed up 2s", stillStarting.Message);
        Assert.Equal(1.0, stillStarting.RequeueAfterSeconds!.Value, precision: 3);

        Report(generation, "CrashLoop", ("crashloop", started), restarts: 1, message: "main exited with code 3 (1 restart(s))");
        var crashing = await RunAsync(pod);

        Assert.Equal("CrashLoop", crashing.Set["status.phase"]!.ToString());
        Assert.Equal(1, (int)crashing.Set["status.restarts"]!);
        Assert.Equal($"crash loop on {NodeName}: main exited with code 3 (1 restart(s))", crashing.Message);
        Assert.NotNull(crashing.RequeueAfterSeconds); // Still waiting: the pod blocks on this step.
    }

    [Fact]
    public async Task ContainersUpLongerThanTheGrace_OrStartedByANodeClockAhead_AreDoneAtOnce()
    {
        var pod = Pod();
        var generation = await ProgrammedGenerationAsync(pod);

        Report(generation, "Running", ("running", _time.GetUtcNow() - TimeSpan.FromSeconds(3)));
        Assert.Null((await RunAsync(pod)).RequeueAfterSeconds);

        Report(generation, "Running", ("running", _time.GetUtcNow() + TimeSpan.FromSeconds(30)));
        Assert.Null((await RunAsync(pod)).RequeueAfterSeconds);
    }

    /// <summary>Pod a as stored, placed on the node (the scheduler's field set here, so the test does not depend on its step).</summary>
    private JsonObject Pod()
    {
        var pod = ManifestJson.Parse(_controller!.Store.Get(PodRef("a"))!.ObjectJson);
        var status = pod["status"] as JsonObject ?? [];
        pod["status"] = status;
        status["nodeName"] = NodeName;
        status["phase"] = "Pending";
        return pod;
    }

    /// <summary>The first run programs the pod on the node and waits for it; the generation it programmed.</summary>
    private async Task<string> ProgrammedGenerationAsync(JsonObject pod)
    {
        var waiting = await RunAsync(pod);
        Assert.StartsWith($"waiting for node {NodeName}", waiting.Message, StringComparison.Ordinal);
        return Assert.Single(Agents.Assignments(NodeName).Pods).Generation;
    }

    private void Report(string generation, string phase, (string State, DateTimeOffset StartedAt) container, int restarts = 0, string? message = null)
    {
        var pod = Assert.Single(Agents.Assignments(NodeName).Pods).Pod;
        var report = new PodReport(pod, generation, phase, restarts, message, [new ContainerReport("main", container.State, container.State == "running" ? 4242 : null, restarts, container.State == "running" ? null : 3, container.StartedAt)]);
        Agents.Heartbeat(new NodeHeartbeat(NodeName, new Dictionary<string, string>(), 4000, 1L << 30, [], [report], ["process"]));
    }

    /// <summary>Writes an answer's fields into the object, as the engine would before the next run.</summary>
    private static void Apply(JsonObject pod, LoopAnswer answer)
    {
        var status = (JsonObject)pod["status"]!;
        foreach (var (path, value) in answer.Set)
        {
            status[path["status.".Length..]] = value?.DeepClone();
        }
    }

    private async Task<LoopAnswer> RunAsync(JsonObject pod)
    {
        var transaction = _controller!.Workflows.Engine.Current(PodRef("a"))!;
        var invocation = new StepInvocation(transaction, transaction.Find("runtime")!, 2, (_, _) => { });
        return await new Runtime(Agents, _time).RunAsync(new BuiltInStep(PodRef("a"), pod, _controller.Reconciler.Current, invocation), CancellationToken.None);
    }
}
