using System.Net.Http.Json;
using System.Text.Json;
using GitOrch.Agent.Native;
using GitOrch.Controller;
using GitOrch.Controller.Nodes;
using Microsoft.Extensions.Logging;

namespace GitOrch.Agent.Tests.Support;

/// <summary>
/// A real controller (ControllerHost on a free port, over a real git repo) and real node agents on
/// temp state folders. Cleanup stops the agents' pods, the agents and the controller, and as a last
/// resort kills the process groups that carry this test's marker.
/// </summary>
internal sealed class ClusterScope : IAsyncDisposable
{
    public const string Node = "node-a";

    private readonly List<(NodeAgent Agent, CancellationTokenSource Stop, Task Run)> _agents = [];
    private HttpClient? _http;

    public GitRepo Repo { get; } = GitRepo.Init();

    public TempDir ControllerState { get; } = new("gitorch-controller-state");

    public TempDir AgentState { get; } = new("gitorch-agent-state");

    public LogSink Log { get; } = new();

    public string Marker { get; } = "gitorch-test-" + Guid.NewGuid().ToString("N")[..12];

    public ControllerHost? Host { get; private set; }

    /// <summary>The node endpoint the (last) controller listened on; agents keep using it after it is gone.</summary>
    public string? Server { get; private set; }

    /// <summary>The HTTPS API of the (last) controller.</summary>
    public string? Api { get; private set; }

    /// <param name="nodeGrace">How long a node may go without a heartbeat before the controller counts it lost (5 s unless told).</param>
    public async Task<ControllerHost> StartControllerAsync(TimeSpan? nodeGrace = null)
    {
        var options = new ControllerOptions
        {
            Repo = Repo.Root,
            StateDir = ControllerState.Path,
            Listen = "https://127.0.0.1:0",
            AgentListen = "https://127.0.0.1:0",
            Poll = TimeSpan.FromHours(1),
            NodeGrace = nodeGrace ?? TimeSpan.FromSeconds(5),
            Nodes = [new NodeInfo(Node, new Dictionary<string, string>(), 4000, 4L << 30)],
        };
        Host = await ControllerHost.StartAsync(options, b => b.AddProvider(Log), TimeProvider.System, CancellationToken.None);
        Server = Host.AgentAddress;
        _http?.Dispose();
        _http = Host.AdminCredentials.CreateHttpClient(TimeSpan.FromSeconds(10));
        Api = Host.Address;
        if (!GitOrch.Agent.Trust.AgentIdentity.Exists(AgentState.Path))
        {
            // As `up` does for its own agent: a node certificate issued directly by the cluster CA.
            using var certificate = Host.Pki.IssueNodeCertificate(Node);
            GitOrch.Agent.Trust.AgentIdentity.Save(AgentState.Path, Host.Pki.CaPem, certificate);
        }

        return Host;
    }

    /// <summary>Kills the control plane (the agents keep running).</summary>
    public async Task StopControllerAsync()
    {
        if (Host is { } host)
        {
            Host = null;
            await host.DisposeAsync();
        }
    }

    /// <param name="heartbeat">The agent's heartbeat period (200 ms unless told).</param>
    /// <param name="time">The agent's clock (the system's unless told).</param>
    public NodeAgent StartAgent(TimeSpan? heartbeat = null, TimeProvider? time = null)
    {
        var options = new AgentOptions
        {
            Server = Server ?? throw new InvalidOperationException("start the controller first"),
            Node = Node,
            StateDir = AgentState.Path,
            Heartbeat = heartbeat ?? TimeSpan.FromMilliseconds(200),
            CpuMillis = 4000,
            MemoryBytes = 4L << 30,
        };
        var agent = new NodeAgent(options, Log.Factory(), time ?? TimeProvider.System);
        var stop = new CancellationTokenSource();
        _agents.Add((agent, stop, Task.Run(() => agent.RunAsync(stop.Token))));
        return agent;
    }

    /// <summary>Stops an agent process-like: cancels it and disposes it, leaving its pods running.</summary>
    public async Task ExitAgentAsync(NodeAgent agent)
    {
        var entry = _agents.Single(a => a.Agent == agent);
        _agents.Remove(entry);
        await entry.Stop.CancelAsync();
        await entry.Run;
        await agent.DisposeAsync();
        entry.Stop.Dispose();
    }

    /// <summary>The pod object as the controller's API returns it (GET /api/v1/objects/Pod/NAME?namespace=NS).</summary>
    public async Task<JsonElement?> PodAsync(string name, string ns)
    {
        using var response = await _http!.GetAsync($"{Api}/api/v1/objects/Pod/{name}?namespace={ns}");
        if (!response.IsSuccessStatusCode)
        {
            return null;
        }

        var model = await response.Content.ReadFromJsonAsync<JsonElement>();
        return model.GetProperty("object").Clone();
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var (agent, _, _) in _agents.ToList())
        {
            try
            {
                using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(20));
                await agent.StopAllAsync(limit.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException)
            {
                // Fall through to the marker sweep.
            }

            await ExitAgentAsync(agent);
        }

        await StopControllerAsync();
        foreach (var pid in Procs.GroupLeadersWith(Marker))
        {
            Posix.SignalGroup(pid, Posix.SigKill);
        }

        _http?.Dispose();
        Repo.Dispose();
        ControllerState.Dispose();
        AgentState.Dispose();
    }
}
