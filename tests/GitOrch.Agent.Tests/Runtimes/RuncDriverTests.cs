using System.Text.Json.Nodes;
using GitOrch.Agent.Images;
using GitOrch.Agent.Pods;
using GitOrch.Agent.Runtimes;
using GitOrch.Agent.Tests.Support;

namespace GitOrch.Agent.Tests.Runtimes;

/// <summary>
/// Real containers with runc (root only): a busybox image imported into a temp image store, an oci
/// pod supervised as the agent does, and /proc read from the host to see the sandbox.
/// </summary>
public sealed class RuncDriverTests : IAsyncLifetime
{
    private readonly SupervisorScope _scope = new();
    private readonly List<string> _containers = [];
    private ImageStore? _images;

    public async Task InitializeAsync()
    {
        if (!RuncFactAttribute.Available)
        {
            return;
        }

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
        // Leftovers first (runc --root /run/gitorch-runc delete --force, only this test's ids), then the
        // supervisors (whose stop is then immediate) and the state folder with the image's rootfs.
        foreach (var id in _containers)
        {
            await RuncDriver.RuncAsync(["delete", "--force", id], CancellationToken.None, ignoreErrors: true);
        }

        await _scope.DisposeAsync();
    }

    private async Task<(PodSupervisor Supervisor, string Id, int InitPid)> StartAsync(string script, JsonObject? security = null)
    {
        var pod = TestPods.Key("oci");
        var id = RuncDriver.ContainerId(pod, "main");
        _containers.Add(id);
        var supervisor = await _scope.StartAsync(TestPods.Assignment(pod, "g1", TestPods.OciSpec($"{script} # {_scope.Marker}", security), graceSeconds: 1), _images!.Rootfs);
        await TestPods.RunningAsync(supervisor);
        var init = await Eventually.UntilAsync(() => RuncDriver.InitPidAsync(id, CancellationToken.None), p => p is not null, $"runc state {id} to show an init pid");
        return (supervisor, id, init!.Value);
    }

    /// <summary>
    /// The container's log once it printed <paramref name="last"/>. runc copies the container's stdout
    /// and stderr through separate pipes, so scripts here send stderr to stdout (2&gt;&amp;1) to keep order.
    /// </summary>
    private static Task<string> LogAsync(PodSupervisor supervisor, string last) =>
        Eventually.Until(() => TestPods.ReadLog(supervisor), l => l.Contains(last + "\n", StringComparison.Ordinal), $"the container to print {last}");

    [RuncFact]
    public async Task AMountTarget_ThroughASymlinkInTheImage_OrWithDotDot_IsRefused_AndNothingIsCreatedOnTheHost()
    {
        var outside = Directory.CreateDirectory(_scope.State.Combine("host-target")).FullName;
        var rootfs = _images!.Rootfs("busybox:1.35")!;
        File.CreateSymbolicLink(Path.Combine(rootfs, "data"), outside);
        foreach (var (target, why) in new[] { ("/data/planted", "/data is a symbolic link in the image"), ("/../../../../escaped", "must be an absolute path without '..'") })
        {
            var spec = TestPods.OciSpec($"echo up # {_scope.Marker}");
            spec["volumes"] = new JsonArray(new JsonObject { ["name"] = "scratch", ["emptyDir"] = new JsonObject() });
            spec["containers"]![0]!["volumeMounts"] = new JsonArray(new JsonObject { ["name"] = "scratch", ["mountPath"] = target });
            var pod = TestPods.Key("mount");
            _containers.Add(RuncDriver.ContainerId(pod, "main"));
            var supervisor = await _scope.StartAsync(TestPods.Assignment(pod, "g1", spec), _images.Rootfs);

            var report = await Eventually.Until(supervisor.Report, r => r.Phase == "Failed", $"the pod mounting {target} to fail");

            Assert.Contains($"mount target {target}", report.Message, StringComparison.Ordinal);
            Assert.Contains(why, report.Message, StringComparison.Ordinal);
        }

        Assert.Empty(Directory.EnumerateFileSystemEntries(outside));
        Assert.False(Directory.Exists("/escaped"));
    }

    [RuncFact]
    public async Task AContainerLeftByAKilledRuncRun_IsDeletedBeforeThePodStartsAgain()
    {
        // As after a crashed agent: `runc run` is killed, its container keeps running and runc keeps its state.
        var (first, id, init) = await StartAsync("echo ready; sleep 300");
        var runcRun = first.Report().Pid();
        Shell.Run("kill", "-KILL", runcRun.ToString(System.Globalization.CultureInfo.InvariantCulture));
        await Eventually.True(() => !Procs.IsAlive(runcRun), "runc run to be gone");
        Assert.True(Procs.IsAlive(init), "the container outlives its runc run");
        Assert.True(Directory.Exists(Path.Combine("/run/gitorch-runc", id)), "runc keeps the container's state");

        var again = await _scope.StartAsync(first.Assignment with { Generation = "g2" }, _images!.Rootfs);
        await TestPods.RunningAsync(again);

        var newInit = await Eventually.UntilAsync(() => RuncDriver.InitPidAsync(id, CancellationToken.None), p => p is not null && p != init, "runc state to show the new container's init");
        await Eventually.True(() => !Procs.IsAlive(init), $"the old container's init (pid {init}) to be gone");
        await LogAsync(again, "ready");
        Assert.True(Procs.IsAlive(newInit!.Value));
    }

    [RuncFact]
    public async Task AnOciPod_RunsInTheMaximumSandbox()
    {
        var (supervisor, _, init) = await StartAsync("id -u; touch /x 2>&1 && echo root-writable || echo root-readonly; echo ready; sleep 300");

        Assert.Equal("NoNewPrivs:\t1", Procs.StatusLine(init, "NoNewPrivs"));
        Assert.Equal("CapEff:\t0000000000000000", Procs.StatusLine(init, "CapEff"));
        Assert.Equal("CapPrm:\t0000000000000000", Procs.StatusLine(init, "CapPrm"));
        Assert.Equal("CapBnd:\t0000000000000000", Procs.StatusLine(init, "CapBnd"));
        Assert.Equal("Seccomp:\t2", Procs.StatusLine(init, "Seccomp"));
        Assert.Equal("165534\t165534\t165534\t165534", Procs.Status(init, "Uid")); // 65534 inside, shifted by the user namespace.
        foreach (var ns in new[] { "pid", "user", "net", "mnt", "ipc", "uts" })
        {
            Assert.NotEqual(new FileInfo($"/proc/self/ns/{ns}").LinkTarget, new FileInfo($"/proc/{init}/ns/{ns}").LinkTarget);
        }

        var lines = (await LogAsync(supervisor, "ready")).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(["65534", "touch: /x: Read-only file system", "root-readonly", "ready"], lines);
    }

    [RuncFact]
    public async Task AnOciPod_CanWriteTmp_ThoughItsRootIsReadOnly()
    {
        // busybox's rootfs here has no /tmp: the agent creates the mount point, runc mounts a tmpfs (mode=1777) on it.
        var (supervisor, _, _) = await StartAsync("touch /tmp/y 2>&1 && echo tmp-writable || echo tmp-not-writable; ls -ld /tmp; echo ready; sleep 300");

        var log = await LogAsync(supervisor, "ready");

        Assert.StartsWith("tmp-writable\ndrwxrwxrwt", log, StringComparison.Ordinal);
    }

    [RuncFact]
    public async Task AnOciPod_WithRunAsRootAndNetAdmin_IsRootInside_WithOnlyNetAdmin()
    {
        var (supervisor, _, init) = await StartAsync("id -u; echo ready; sleep 300", new JsonObject { ["runAsUser"] = 0, ["capabilities"] = new JsonArray("NET_ADMIN") });

        Assert.Equal("CapEff:\t0000000000001000", Procs.StatusLine(init, "CapEff")); // bit 12: CAP_NET_ADMIN
        Assert.Equal("NoNewPrivs:\t1", Procs.StatusLine(init, "NoNewPrivs"));
        Assert.Equal("100000\t100000\t100000\t100000", Procs.Status(init, "Uid")); // root inside is not root on the host
        Assert.Equal("0\n", (await LogAsync(supervisor, "ready")).Split("ready\n")[0]);
    }

    [RuncFact]
    public async Task StoppingAnOciPod_RemovesTheContainer()
    {
        var (supervisor, id, init) = await StartAsync("sleep 300");
        Assert.Equal(0, (await RuncDriver.RuncAsync(["state", id], CancellationToken.None, ignoreErrors: true)).Code);

        await _scope.StopAsync(supervisor);

        var (code, _) = await RuncDriver.RuncAsync(["state", id], CancellationToken.None, ignoreErrors: true);
        Assert.NotEqual(0, code);
        Assert.Null(await RuncDriver.InitPidAsync(id, CancellationToken.None));
        await Eventually.True(() => !Procs.IsAlive(init), $"the container's init (pid {init}) to be gone");
    }

    [RuncFact]
    public async Task AnOciPod_WhoseImageIsMissing_FailsSayingHowToImportIt()
    {
        var spec = TestPods.OciSpec("sleep 300");
        spec["containers"]![0]!["image"] = "nothere:1";
        var supervisor = await _scope.StartAsync(TestPods.Assignment(TestPods.Key("noimage"), "g1", spec), _images!.Rootfs);

        var report = await Eventually.Until(supervisor.Report, r => r.Phase == "Failed", "the pod to fail");

        Assert.Equal("image nothere:1 is not in this node's image store; import it with `gitorch image import nothere:1 PATH`", report.Message);
    }
}
