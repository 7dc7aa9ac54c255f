using System.Text.Json;
using GitOrch.Agent.Tests.Support;
using GitOrch.Core.AgentApi;

namespace GitOrch.Agent.Tests;

/// <summary>
/// A node agent against a real controller (DESIGN.md idea 9): it runs what the controller
/// assigns, keeps running it with the control plane gone (restarting crashes), and comes back to
/// it from its desired state on disk after a cold start. Idea 2: a commit changing env restarts
/// the pod in place.
/// </summary>
public sealed class NodeAgentTests : IAsyncLifetime
{
    private readonly ClusterScope _cluster = new();
    private string _trigger = string.Empty;

    public Task InitializeAsync()
    {
        _trigger = Path.Combine(_cluster.AgentState.WorldWritable("triggers"), "crash");
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _cluster.DisposeAsync();

    private string PodYaml(string greeting)
    {
        // Runs until the test creates the trigger file, then removes it and crashes (exit 1).
        var script = $"echo \"greeting=$GREETING port=$(PORT_HTTP)\"; while [ ! -e {_trigger} ]; do sleep 0.1; done; rm -f {_trigger}; echo crashing; exit 1 # {_cluster.Marker}";
        return $"""
            apiVersion: gitorch.dev/v1
            kind: Pod
            metadata:
              name: worker
              namespace: demo
            spec:
              runtime: process
              terminationGracePeriodSeconds: 2
              containers:
                - name: main
                  command: ["/bin/sh", "-c", {JsonSerializer.Serialize(script)}]
                  env:
                    GREETING: {greeting}
                  ports:
                    - name: http
                  resources:
                    cpu: 50m
                    memory: 16Mi

            """;
    }

    private const string Policy = """
        apiVersion: gitorch.dev/v1
        kind: ClusterPolicy
        metadata:
          name: cluster
        spec:
          security:
            exceptions:
              - namespaces: [demo]
                allow: ["runtime:process"]

        """;

    private async Task<JsonElement> RunningInTheStoreAsync(Func<JsonElement, bool>? also = null)
    {
        var pod = await Eventually.UntilAsync(
            () => _cluster.PodAsync("worker", "demo"),
            p => p is { } o && Phase(o) == "Running" && (also is null || also(o)),
            "the controller's store to show Pod demo/worker Running");
        return pod!.Value;
    }

    private static string? Phase(JsonElement pod) =>
        pod.TryGetProperty("status", out var status) && status.TryGetProperty("phase", out var phase) ? phase.GetString() : null;

    private static int Pid(JsonElement pod) => pod.GetProperty("status").GetProperty("containers")[0].GetProperty("pid").GetInt32();

    private async Task<(NodeAgent Agent, int Pid, int Port)> StartRunningPodAsync()
    {
        _cluster.Repo.Write("cluster/policy.yaml", Policy).Write("apps/worker.yaml", PodYaml("hello"));
        _cluster.Repo.Commit("A process pod");
        await _cluster.StartControllerAsync();
        var agent = _cluster.StartAgent();
        var pod = await RunningInTheStoreAsync();
        Assert.Equal(ClusterScope.Node, pod.GetProperty("status").GetProperty("nodeName").GetString());
        var port = pod.GetProperty("status").GetProperty("ports").GetProperty("http").GetInt32();
        var pid = Pid(pod);
        await Eventually.True(() => TestPods.Launched(pid), $"pid {pid} to run the pod's command");
        await Procs.AssertGroupLeadersAsync(_cluster.Marker, pid);
        return (agent, pid, port);
    }

    private static PodReport Report(NodeAgent agent) => Assert.Single(agent.Reports);

    private string ContainerLog() =>
        File.ReadAllText(Path.Combine(_cluster.AgentState.Path, "pods", "Pod_demo_worker", "main.log"));

    [Fact]
    public async Task RunsTheAssignedPod_AndItsStatusReachesTheControllersStore()
    {
        var (agent, pid, port) = await StartRunningPodAsync();

        var report = Report(agent);
        Assert.Equal(("Pod/demo/worker", "Running", pid), (report.Pod, report.Phase, report.Pid()));
        Assert.True(Procs.IsAlive(pid));
        await Eventually.Until(ContainerLog, l => l.Contains('\n', StringComparison.Ordinal), "the first log line");
        Assert.Equal($"greeting=hello port={port}\n", ContainerLog());
        Assert.True(File.Exists(Path.Combine(_cluster.AgentState.Path, "desired.json")), "the desired state is on disk");
    }

    [Fact]
    public async Task WithTheControllerGone_ThePodKeepsRunning_ACrashIsRestarted_AndAColdStartReadoptsIt()
    {
        var (agent, pid, _) = await StartRunningPodAsync();

        await _cluster.StopControllerAsync();
        await Eventually.True(() => _cluster.Log.Text.Contains($"Controller {_cluster.Server} unreachable", StringComparison.Ordinal), "the agent to notice the controller is gone");
        Assert.True(Procs.IsAlive(pid), "the pod must keep running without the control plane");
        Assert.Equal(("Running", pid, 0), (Report(agent).Phase, Report(agent).Pid(), Report(agent).Restarts));

        await File.WriteAllTextAsync(_trigger, "crash now");
        var restarted = await Eventually.Until(() => Report(agent), r => r.Phase == "Running" && r.Restarts == 1 && TestPods.Launched(r.Pid()), "the agent to restart the crashed pod without the controller");
        Assert.NotEqual(pid, restarted.Pid());
        Assert.Contains("crashing\n", ContainerLog(), StringComparison.Ordinal);
        await Procs.AssertGroupLeadersAsync(_cluster.Marker, restarted.Pid());

        await _cluster.ExitAgentAsync(agent);
        Assert.True(Procs.IsAlive(restarted.Pid()), "an agent that exits leaves its pods running");

        var coldStarted = _cluster.StartAgent(); // Same state folder; the controller is still gone.
        var adopted = await Eventually.Until(() => coldStarted.Reports, r => r.Count == 1 && r[0].Phase == "Running", "the cold-started agent to run the pod");

        Assert.Equal(("Pod/demo/worker", restarted.Pid(), 1), (adopted[0].Pod, adopted[0].Pid(), adopted[0].Restarts));
        Assert.Contains("Cold start: 1 pod(s) from the desired state on disk", _cluster.Log.Text, StringComparison.Ordinal);
        Assert.Contains($"Pod/demo/worker: re-adopted container main (pid {restarted.Pid()})", _cluster.Log.Text, StringComparison.Ordinal);
        await Procs.AssertGroupLeadersAsync(_cluster.Marker, restarted.Pid());
    }

    [Fact]
    public async Task ACommitThatChangesEnv_RestartsThePodInPlace_SameNameSameNodeSamePort_NewPid()
    {
        var (agent, pid, port) = await StartRunningPodAsync();

        _cluster.Repo.Write("apps/worker.yaml", PodYaml("bonjour"));
        _cluster.Repo.Commit("French");
        Assert.True(await _cluster.Host!.Controller.SyncOnceAsync(CancellationToken.None));

        var pod = await RunningInTheStoreAsync(p => Pid(p) != pid);
        var newPid = Pid(pod);
        Assert.Equal(("worker", "demo", ClusterScope.Node, port), (
            pod.GetProperty("metadata").GetProperty("name").GetString(),
            pod.GetProperty("metadata").GetProperty("namespace").GetString(),
            pod.GetProperty("status").GetProperty("nodeName").GetString(),
            pod.GetProperty("status").GetProperty("ports").GetProperty("http").GetInt32()));
        Assert.Equal(("Pod/demo/worker", newPid, 0), (Report(agent).Pod, Report(agent).Pid(), Report(agent).Restarts));
        await Eventually.True(() => !Procs.IsAlive(pid), $"the old process (pid {pid}) to be gone");
        await Eventually.True(() => TestPods.Launched(newPid), $"pid {newPid} to run the pod's command");
        await Procs.AssertGroupLeadersAsync(_cluster.Marker, newPid);
        await Eventually.Until(ContainerLog, l => l == $"greeting=hello port={port}\ngreeting=bonjour port={port}\n", "the restarted pod's output");
    }

    [Fact]
    public async Task APodsChange_IsReportedWhenItHappens_NotAtTheNextHeartbeat()
    {
        // A heartbeat far longer than the test, and a controller that waits as long before it counts
        // the node lost: only the report that a pod's change sends can bring these to the store.
        _cluster.Repo.Write("cluster/policy.yaml", Policy).Write("apps/worker.yaml", PodYaml("hello"));
        _cluster.Repo.Commit("A process pod");
        await _cluster.StartControllerAsync(nodeGrace: TimeSpan.FromHours(3));
        _cluster.StartAgent(heartbeat: TimeSpan.FromHours(1));
        var first = Pid(await RunningInTheStoreAsync());

        _cluster.Repo.Write("apps/worker.yaml", PodYaml("bonjour"));
        _cluster.Repo.Commit("French");
        Assert.True(await _cluster.Host!.Controller.SyncOnceAsync(CancellationToken.None));
        var restarted = Pid(await RunningInTheStoreAsync(p => Pid(p) != first));

        await File.WriteAllTextAsync(_trigger, "crash now");
        await RunningInTheStoreAsync(p => Pid(p) != restarted && p.GetProperty("status").TryGetProperty("restarts", out var restarts) && restarts.GetInt32() == 1);
    }

    [Fact]
    public async Task APodsChangeThatHasSettled_IsReportedAtOnce_NotAfterTheGatherTime()
    {
        // On the agent's clock a wait of ReportGather never ends (every other wait is real), and its
        // heartbeat is far longer than the test: a report that waited out ReportGather after the
        // change (or the next beat) would never be sent. Only a report made as soon as the pod runs
        // again can bring the pod and its restart to the store.
        _cluster.Repo.Write("cluster/policy.yaml", Policy).Write("apps/worker.yaml", PodYaml("hello"));
        _cluster.Repo.Commit("A process pod");
        await _cluster.StartControllerAsync(nodeGrace: TimeSpan.FromHours(3));
        _cluster.StartAgent(heartbeat: TimeSpan.FromHours(1), time: new GatherNeverEnds());
        var first = Pid(await RunningInTheStoreAsync());

        _cluster.Repo.Write("apps/worker.yaml", PodYaml("bonjour"));
        _cluster.Repo.Commit("French");
        Assert.True(await _cluster.Host!.Controller.SyncOnceAsync(CancellationToken.None));

        var restarted = await RunningInTheStoreAsync(p => Pid(p) != first);
        await Eventually.Until(ContainerLog, l => l.EndsWith("greeting=bonjour port=" + restarted.GetProperty("status").GetProperty("ports").GetProperty("http").GetInt32() + "\n", StringComparison.Ordinal), "the restarted pod's output");
    }

    /// <summary>The system's clock, except that a timer of <see cref="NodeAgent.ReportGather"/> never fires.</summary>
    private sealed class GatherNeverEnds : TimeProvider
    {
        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period) =>
            dueTime == NodeAgent.ReportGather ? new Never() : System.CreateTimer(callback, state, dueTime, period);

        private sealed class Never : ITimer
        {
            public bool Change(TimeSpan dueTime, TimeSpan period) => true;

            public void Dispose()
            {
            }

            public ValueTask DisposeAsync() => ValueTask.CompletedTask;
        }
    }
}
