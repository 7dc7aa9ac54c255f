using GitOrch.Agent.Images;
using GitOrch.Agent.Pods;
using GitOrch.Agent.Runtimes;
using GitOrch.Agent.Tests.Support;

namespace GitOrch.Agent.Tests.Runtimes;

/// <summary>
/// Real gVisor pods (root; runsc is installed by .ci/run): the same OCI bundle as the oci runtime,
/// run by runsc on the ptrace platform. The container's output is read back, and it shows gVisor's
/// own kernel, not the host's.
/// </summary>
public sealed class GvisorDriverTests : IAsyncLifetime
{
    private readonly SupervisorScope _scope = new();
    private readonly List<string> _containers = [];
    private ImageStore? _images;

    public async Task InitializeAsync()
    {
        try
        {
            using var source = new TempDir("gitorch-busybox");
            _images = new ImageStore(_scope.State.Combine("images"));
            await _images.ImportAsync("busybox:1.35", BusyboxRootfs.Build(source.Path), CancellationToken.None);
        }
        catch
        {
            await _scope.DisposeAsync(); // xunit does not call DisposeAsync when InitializeAsync fails.
            throw;
        }
    }

    public async Task DisposeAsync()
    {
        foreach (var id in _containers)
        {
            await RuncDriver.Gvisor().ExecAsync(["delete", "--force", id], CancellationToken.None);
        }

        await _scope.DisposeAsync();
    }

    private async Task<(PodSupervisor Supervisor, string Id)> StartAsync(string script)
    {
        var pod = TestPods.Key("gvisor");
        var id = RuncDriver.ContainerId(pod, "main");
        _containers.Add(id);
        var spec = TestPods.OciSpec($"{script} # {_scope.Marker}");
        spec["runtime"] = "gvisor";
        var supervisor = await _scope.StartAsync(TestPods.Assignment(pod, "g1", spec, graceSeconds: 1), _images!.Rootfs);
        await Eventually.Until(supervisor.Report, r => r.Phase == "Running", $"{pod} to run");
        return (supervisor, id);
    }

    [Fact]
    public void TheGvisorDriver_IsAvailableHere()
    {
        Assert.NotNull(RuncDriver.RunscPath);
        Assert.Null(RuncDriver.Gvisor().Unavailable);
        Assert.Equal("gvisor", RuncDriver.Gvisor().Name);
    }

    [Fact]
    public async Task AGvisorPod_RunsUnderGvisorsOwnKernel_AndItsOutputIsReadBack()
    {
        var (supervisor, id) = await StartAsync("echo hello from the sandbox; id -u; dmesg 2>&1 | head -n 1; echo ready; sleep 300");

        var log = await Eventually.Until(() => TestPods.ReadLog(supervisor), l => l.Contains("ready\n", StringComparison.Ordinal), "the container to print ready");

        var lines = log.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("hello from the sandbox", lines[0]);
        Assert.Equal("65534", lines[1]);
        Assert.Contains("gVisor", lines[2], StringComparison.Ordinal); // gVisor's kernel log, not the host's.
        var (code, state) = await RuncDriver.Gvisor().ExecAsync(["state", id], CancellationToken.None);
        Assert.Equal(0, code);
        Assert.Contains("\"running\"", state, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StoppingAGvisorPod_RemovesTheSandbox()
    {
        var (supervisor, id) = await StartAsync("echo ready; sleep 300");

        await _scope.StopAsync(supervisor);

        var (code, _) = await RuncDriver.Gvisor().ExecAsync(["state", id], CancellationToken.None);
        Assert.NotEqual(0, code);
    }
}
