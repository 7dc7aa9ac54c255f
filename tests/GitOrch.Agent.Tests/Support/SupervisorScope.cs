using GitOrch.Agent.Native;
using GitOrch.Agent.Pods;
using GitOrch.Core.AgentApi;

namespace GitOrch.Agent.Tests.Support;

/// <summary>
/// The pods one test starts: a state folder, the supervisors' log, and cleanup that stops every
/// supervisor still live and, as a last resort, kills the process groups that carry this test's
/// marker (only processes this test started).
/// </summary>
internal sealed class SupervisorScope : IAsyncDisposable
{
    private readonly List<PodSupervisor> _live = [];

    public TempDir State { get; } = new("gitorch-agent-state");

    public LogSink Log { get; } = new();

    /// <summary>A string unique to this test, written into every script so its processes can be counted.</summary>
    public string Marker { get; } = "gitorch-test-" + Guid.NewGuid().ToString("N")[..12];

    /// <summary>Creates and starts a supervisor; it is stopped at cleanup unless <see cref="Forget"/> was called.</summary>
    public async Task<PodSupervisor> StartAsync(PodAssignment assignment, Func<string, string?>? images = null)
    {
        var supervisor = TestPods.Supervisor(assignment, State.Path, Log, images);
        _live.Add(supervisor);
        await supervisor.StartAsync(CancellationToken.None);
        return supervisor;
    }

    /// <summary>Stops and disposes a supervisor now.</summary>
    public async Task StopAsync(PodSupervisor supervisor)
    {
        _live.Remove(supervisor);
        await supervisor.StopAsync(CancellationToken.None);
        await supervisor.DisposeAsync();
    }

    /// <summary>Disposes a supervisor WITHOUT stopping its pod, as the agent does when it exits.</summary>
    public async Task AbandonAsync(PodSupervisor supervisor)
    {
        _live.Remove(supervisor);
        await supervisor.DisposeAsync();
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var supervisor in _live.ToList())
        {
            try
            {
                await StopAsync(supervisor);
            }
            catch (Exception ex) when (ex is ObjectDisposedException or InvalidOperationException or TimeoutException)
            {
                // Fall through to the marker sweep.
            }
        }

        foreach (var pid in Procs.GroupLeadersWith(Marker))
        {
            Posix.SignalGroup(pid, Posix.SigKill);
        }

        State.Dispose();
    }
}
