using GitOrch.Controller;
using GitOrch.Controller.Nodes;
using GitOrch.Core.Diagnostics;
using GitOrch.Workflow.Model;

namespace GitOrch.Cli.Tests.Support;

/// <summary>
/// A real controller (<see cref="ControllerHost"/> on Kestrel, https://127.0.0.1:0) following a real
/// temp repo, and the gitorch command line run in-process against it, as a shell would, with the
/// controller's admin credentials.
/// </summary>
internal sealed class RunningController : IAsyncDisposable
{
    /// <summary>Wide enough that no message is wrapped, so lines can be asserted whole.</summary>
    public static readonly Terminal Wide = new(false, 1000);

    private readonly string _state;

    private RunningController(ControllerHost host, GitRepo repo, string state)
    {
        Host = host;
        Repo = repo;
        _state = state;
    }

    public ControllerHost Host { get; }

    public GitRepo Repo { get; }

    public string Address => Host.Address;

    /// <summary>Starts a controller with node-a on a repo whose first commit holds only a README.</summary>
    public static async Task<RunningController> StartAsync()
    {
        var repo = GitRepo.Init();
        repo.Write("README.md", "config repo\n").Commit("Empty config");
        var state = Directory.CreateTempSubdirectory("gitorch-cli-state-").FullName;
        var options = new ControllerOptions
        {
            Repo = repo.Root,
            StateDir = state,
            Poll = TimeSpan.FromHours(1),
            Listen = "https://127.0.0.1:0",
            Nodes = [new NodeInfo("node-a", new Dictionary<string, string>(), 4000, 4L << 30)],
        };
        var host = await ControllerHost.StartAsync(options, null, TimeProvider.System, CancellationToken.None);
        return new RunningController(host, repo, state);
    }

    /// <summary>Runs one controller cycle now (applies the repo's new commits).</summary>
    public async Task SyncAsync()
    {
        var ok = await Host.Controller.SyncOnceAsync(CancellationToken.None);
        Assert.True(ok, $"sync failed: {Host.Controller.Status.LastError}");
    }

    public Transaction? Workflow(ObjectRef obj) => Host.Controller.Workflows.Engine.Current(obj);

    /// <summary>Waits (at most 20 s) until the condition holds of the object's current transaction.</summary>
    public async Task<Transaction> WaitForAsync(ObjectRef obj, Func<Transaction, bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (true)
        {
            if (Workflow(obj) is { } t && condition(t))
            {
                return t;
            }

            if (DateTime.UtcNow > deadline)
            {
                var units = Workflow(obj)?.Units.Select(u => $"{u.Name}={u.State.ToText()} ({u.Message})") ?? [];
                Assert.Fail($"timed out waiting until {what}; units: {string.Join("; ", units)}");
            }

            await Task.Delay(20);
        }
    }

    /// <summary>Runs <c>gitorch ARGS --server ADDRESS</c> in-process; returns the exit code and what it printed.</summary>
    public Task<(int Exit, string Out, string Err)> RunAsync(params string[] args) => Task.Run(() =>
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exit = GitOrchApp.Run([.. args, "--server", Address, "--credentials", Host.AdminCredentialsPath], output, error, Wide);
        return (exit, output.ToString(), error.ToString());
    });

    public async ValueTask DisposeAsync()
    {
        await Host.DisposeAsync();
        Repo.Dispose();
        try
        {
            Directory.Delete(_state, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temporary folder is harmless.
        }
    }
}
