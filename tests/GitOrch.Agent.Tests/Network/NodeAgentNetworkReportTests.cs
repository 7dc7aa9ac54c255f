using System.Text.Json.Nodes;
using GitOrch.Agent.Tests.Support;
using GitOrch.Core.AgentApi;

namespace GitOrch.Agent.Tests.Network;

/// <summary>
/// What a node agent's reports say of an oci pod's network (root, runc): the node is a network
/// namespace the test creates, the pod a busybox container under runc with its own veth and route.
/// A report made at once for a pod's change keeps the agent's last look at the network while the
/// pod's sandbox stays (a restart in place), and looks again at a new sandbox; the heartbeat at its
/// period always looks again.
/// </summary>
public sealed class NodeAgentNetworkReportTests : IAsyncLifetime
{
    private const string Subnet = "fd5e:4321:8765:1::/64";
    private const string Node = "node-r";
    private readonly TempDir _state = new("gitorch-agent-state");
    private readonly NetnsScope _netns = new();
    private readonly LogSink _log = new();
    private readonly string _marker = "gitorch-test-" + Guid.NewGuid().ToString("N")[..12];
    private NodeAgent? _agent;

    public async Task InitializeAsync()
    {
        if (!RuncFactAttribute.Available)
        {
            return;
        }

        var node = _netns.Create("r");
        _agent = new NodeAgent(
            // A look is kept for one heartbeat period; this agent runs no heartbeat loop, and a long
            // period keeps the test from depending on how fast runc restarts a container here.
            new AgentOptions { Server = "https://127.0.0.1:9", Node = Node, StateDir = _state.Path, NetworkNamespace = node, UnderlayAddress = "fd5e:4321:ffff::1", Heartbeat = TimeSpan.FromMinutes(10) },
            _log.Factory(), TimeProvider.System);
        using (var source = new TempDir("gitorch-busybox"))
        {
            await _agent.Images.ImportAsync("busybox:1.35", BusyboxRootfs.Build(source.Path), CancellationToken.None);
        }

        await _agent.ApplyNetworkAsync(new NodeNetwork(Subnet, false, []), CancellationToken.None);
    }

    public async Task DisposeAsync()
    {
        if (_agent is not null)
        {
            using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await _agent.StopAllAsync(limit.Token);
            await _agent.DisposeAsync();
        }

        foreach (var pid in Procs.GroupLeadersWith(_marker))
        {
            Native.Posix.SignalGroup(pid, Native.Posix.SigKill);
        }

        await _netns.DisposeAsync();
        _state.Dispose();
    }

    private static string Address(string interfaceId) => Subnet.Replace("::/64", "::" + interfaceId, StringComparison.Ordinal);

    private async Task<PodReport> RunAsync(long revision, PodAssignment pod)
    {
        await _agent!.ApplyAsync(new AssignmentSet(Node, revision, [pod]), CancellationToken.None);
        return await Eventually.Until(() => Assert.Single(_agent.Reports), r => r.Generation == pod.Generation && r.Phase is "Running" or "Failed", $"{pod.Pod} to run generation {pod.Generation}");
    }

    private async Task<PodNetworkReport> NetworkAsync(bool lookAgain) =>
        Assert.Single(await _agent!.ReportsWithNetworkAsync(CancellationToken.None, lookAgain)).Network!;

    [RuncFact]
    public async Task AReportForAPodsChange_KeepsTheLastLook_WhileTheSandboxStays_AndLooksAgainAtANewOne()
    {
        var pod = TestPods.Key("look");
        var first = TestPods.Assignment(pod, "g1", TestPods.OciSpec($"sleep 600 # {_marker}"), graceSeconds: 1) with { PodIP = Address("1") };
        Assert.Equal("Running", (await RunAsync(1, first)).Phase);

        // The first report of a running pod looks: nothing was seen of its sandbox yet.
        var looks = _agent!.Network.Looks;
        var seen = await NetworkAsync(lookAgain: false);
        Assert.Equal((Address("1"), true, true, (string?)null, looks + 1), (seen.Address, seen.InterfacePresent, seen.RoutePresent, seen.Problem, _agent.Network.Looks));

        // A restart in place keeps the sandbox: the report for it keeps the look.
        var inPlace = TestPods.Assignment(pod, "g2", TestPods.OciSpec($"sleep 601 # {_marker}"), graceSeconds: 1) with { PodIP = Address("1") };
        Assert.Equal("Running", (await RunAsync(2, inPlace)).Phase);
        Assert.Equal(seen, await NetworkAsync(lookAgain: false));
        Assert.Equal(looks + 1, _agent.Network.Looks);

        // The heartbeat at its period looks again.
        Assert.Equal(seen, await NetworkAsync(lookAgain: true));
        Assert.Equal(looks + 2, _agent.Network.Looks);

        // Other security settings at the same address: a new sandbox, looked at now.
        var secured = TestPods.Assignment(pod, "g3", TestPods.OciSpec($"sleep 602 # {_marker}", new JsonObject { ["readOnlyRootFilesystem"] = true }), graceSeconds: 1) with { PodIP = Address("1") };
        Assert.Equal("Running", (await RunAsync(3, secured)).Phase);
        Assert.Equal(seen, await NetworkAsync(lookAgain: false));
        Assert.Equal(looks + 3, _agent.Network.Looks);

        // A new address is a new sandbox too: looked at now, and seen at its new address.
        var moved = TestPods.Assignment(pod, "g4", TestPods.OciSpec($"sleep 603 # {_marker}", new JsonObject { ["readOnlyRootFilesystem"] = true }), graceSeconds: 1) with { PodIP = Address("2") };
        Assert.Equal("Running", (await RunAsync(4, moved)).Phase);
        var again = await NetworkAsync(lookAgain: false);
        Assert.Equal((Address("2"), true, true, (string?)null, looks + 4), (again.Address, again.InterfacePresent, again.RoutePresent, again.Problem, _agent.Network.Looks));
    }
}
