using System.Net.Http.Json;
using System.Text.Json;
using GitOrch.Agent.Tests.Support;
using GitOrch.Controller;
using Microsoft.Extensions.Logging;

namespace GitOrch.Agent.Tests.Network;

/// <summary>
/// Two node agents as two nodes (root, runc), each with its node network in its own network
/// namespace, joined by a veth "underlay"; a real controller hands each the other's /64 and
/// underlay address. A pod on node A reaches a pod on node B over IPv6 through plain routes, and
/// the route to a node goes when the node is declared dead.
/// </summary>
public sealed class TwoNodeNetworkTests : IAsyncLifetime
{
    private const string UnderlayA = "fd5e:99:0:1::a";
    private const string UnderlayB = "fd5e:99:0:1::b";
    private readonly GitRepo _repo = GitRepo.Init();
    private readonly TempDir _controllerState = new("gitorch-controller-state");
    private readonly NetnsScope _netns = new();
    private readonly LogSink _log = new();
    private HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(10) };
    private readonly List<(NodeAgent Agent, TempDir State, CancellationTokenSource Stop, Task Run)> _agents = [];
    private readonly string _marker = "gitorch-test-" + Guid.NewGuid().ToString("N")[..12];
    private ControllerHost? _controller;
    private string _nodeA = string.Empty;
    private string _nodeB = string.Empty;

    public async Task InitializeAsync()
    {
        if (!RuncFactAttribute.Available)
        {
            return;
        }

        _nodeA = _netns.Create("a");
        _nodeB = _netns.Create("b");
        _netns.Link(_nodeA, _nodeB, [UnderlayA + "/64"], [UnderlayB + "/64"]);
        _repo.Write("cluster/policy.yaml", """
            apiVersion: gitorch.dev/v1
            kind: ClusterPolicy
            metadata: {name: cluster}
            spec:
              network: {podPrefix: "fd5e:7777:1::/48"}

            """);
        _repo.Write("apps/server.yaml", Pod("server", "b", $"nc -ll -p 8080 -e echo pong-from-node-b # {_marker}"));
        _repo.Write("apps/client.yaml", Pod("client", "a", $"sleep 600 # {_marker}"));
        _repo.Commit("A server pod on node b, a client pod on node a");
        _controller = await ControllerHost.StartAsync(
            new ControllerOptions { Repo = _repo.Root, StateDir = _controllerState.Path, Listen = "https://127.0.0.1:0", AgentListen = "https://127.0.0.1:0", Poll = TimeSpan.FromHours(1), NodeGrace = TimeSpan.FromSeconds(30) },
            b => b.AddProvider(_log), TimeProvider.System, CancellationToken.None);
        _http.Dispose();
        _http = _controller.AdminCredentials.CreateHttpClient(TimeSpan.FromSeconds(10));
    }

    private static string Pod(string name, string node, string script) => $$"""
        apiVersion: gitorch.dev/v1
        kind: Pod
        metadata: {name: {{name}}, namespace: demo}
        spec:
          restartPolicy: Never
          terminationGracePeriodSeconds: 1
          nodeSelector: {net-test: "{{node}}"}
          containers:
            - name: main
              image: busybox:1.35
              command: ["/bin/sh", "-c", {{JsonSerializer.Serialize(script)}}]

        """;

    public async Task DisposeAsync()
    {
        foreach (var (agent, state, stop, run) in _agents)
        {
            try
            {
                using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(20));
                await agent.StopAllAsync(limit.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException)
            {
                // The netns cleanup below still removes the nodes.
            }

            await stop.CancelAsync();
            await run;
            await agent.DisposeAsync();
            stop.Dispose();
            state.Dispose();
        }

        if (_controller is not null)
        {
            await _controller.DisposeAsync();
        }

        foreach (var pid in Procs.GroupLeadersWith(_marker))
        {
            Native.Posix.SignalGroup(pid, Native.Posix.SigKill);
        }

        await _netns.DisposeAsync();
        _http.Dispose();
        _repo.Dispose();
        _controllerState.Dispose();
    }

    private async Task<NodeAgent> StartAgentAsync(string node, string label, string underlay, string netns)
    {
        var state = new TempDir("gitorch-agent-state");
        using (var certificate = _controller!.Pki.IssueNodeCertificate(node))
        {
            GitOrch.Agent.Trust.AgentIdentity.Save(state.Path, _controller.Pki.CaPem, certificate);
        }

        var options = new AgentOptions
        {
            Server = _controller.AgentAddress!,
            Node = node,
            StateDir = state.Path,
            Labels = new Dictionary<string, string> { ["net-test"] = label },
            Heartbeat = TimeSpan.FromMilliseconds(300),
            CpuMillis = 4000,
            MemoryBytes = 4L << 30,
            UnderlayAddress = underlay,
            NetworkNamespace = netns,
        };
        var agent = new NodeAgent(options, _log.Factory(), TimeProvider.System);
        using (var source = new TempDir("gitorch-busybox"))
        {
            await agent.Images.ImportAsync("busybox:1.35", BusyboxRootfs.Build(source.Path), CancellationToken.None);
        }

        var stop = new CancellationTokenSource();
        _agents.Add((agent, state, stop, Task.Run(() => agent.RunAsync(stop.Token))));
        return agent;
    }

    private async Task<JsonElement> RunningAsync(string name) =>
        (await Eventually.UntilAsync(
            async () =>
            {
                using var response = await _http.GetAsync($"{_controller!.Address}/api/v1/objects/Pod/{name}?namespace=demo");
                return response.IsSuccessStatusCode ? (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("object").Clone() : (JsonElement?)null;
            },
            p => p is { } o && o.TryGetProperty("status", out var s) && s.TryGetProperty("phase", out var phase) && phase.GetString() == "Running",
            $"Pod demo/{name} to run",
            TimeSpan.FromSeconds(60)))!.Value;

    private Task<JsonElement> GetAsync(string path) => _http.GetFromJsonAsync<JsonElement>(_controller!.Address + path);

    [RuncFact]
    public async Task APodOnNodeA_ReachesAPodOnNodeB_ThroughTheRouteToBsSlash64ViaItsUnderlay_UntilBIsDeclaredDead()
    {
        var agentA = await StartAgentAsync("net-a", "a", UnderlayA, _nodeA);
        var agentB = await StartAgentAsync("net-b", "b", UnderlayB, _nodeB);

        var server = await RunningAsync("server");
        await RunningAsync("client");
        var serverIp = server.GetProperty("status").GetProperty("podIP").GetString()!;
        Assert.StartsWith("fd5e:7777:1:", serverIp, StringComparison.Ordinal);
        var subnetB = agentB.Network.Current!.Subnet;
        Assert.True(Core.Network.PodPrefix.In64(serverIp, subnetB), $"{serverIp} is in node b's {subnetB}");

        // Node a routes b's /64 via b's underlay address, as the controller told it.
        var routes = await Eventually.Until(() => Shell.TryRun(null, "ip", "-n", _nodeA, "-6", "route", "show", subnetB).Output, r => r.Contains("via " + UnderlayB, StringComparison.Ordinal), "node a's route to node b's /64");
        Assert.Contains("proto 201", routes, StringComparison.Ordinal);

        // Real traffic: from the client pod's network namespace on node a to the server pod's port on node b.
        var clientNs = agentA.Network.PodNamespace("Pod/demo/client");
        var answer = await Eventually.Until(() => NetnsScope.Exec(clientNs, "busybox", "nc", "-w", "2", serverIp, "8080").Output, o => o.Length > 0, "the server pod on node b to answer the client pod on node a");
        Assert.Equal("pong-from-node-b\n", answer);

        // The operator's view: why shows the pod's address and its route on its node; nodes shows the peer routes.
        var why = await Eventually.UntilAsync(() => GetAsync("/api/v1/objects/Pod/server/workflow?namespace=demo"),
            w => w.TryGetProperty("network", out var n) && n.GetProperty("onNode").ValueKind == JsonValueKind.Object, "why to show the server's network");
        var network = why.GetProperty("network");
        Assert.Equal(serverIp, network.GetProperty("address").GetString());
        Assert.True(network.GetProperty("onNode").GetProperty("routePresent").GetBoolean());
        Assert.Equal(UnderlayB, network.GetProperty("nodeUnderlay").GetString());
        var peers = network.GetProperty("peerRoutes").EnumerateArray().Select(p => (p.GetProperty("node").GetString(), p.GetProperty("state").GetString())).ToList();
        Assert.Equal([("net-a", "installed")], peers);

        // Node b leaves and is declared dead: node a's route to its /64 goes.
        var b = _agents.Single(x => x.Agent == agentB);
        await b.Stop.CancelAsync();
        await b.Run;
        using var dead = await _http.PostAsync($"{_controller!.Address}/api/v1/nodes/net-b/dead", null);
        Assert.True(dead.IsSuccessStatusCode);
        await Eventually.Until(() => Shell.TryRun(null, "ip", "-n", _nodeA, "-6", "route", "show", subnetB).Output, r => r.Trim().Length == 0, "node a to remove its route to the dead node's /64");
        // The agent logs the removal once `ip route del` has returned, a moment after the kernel dropped the route.
        await Eventually.Until(() => _log.Text, t => t.Contains($"Route to {subnetB} removed", StringComparison.Ordinal), "node a to log the route's removal");
    }
}
