using System.Text.Json;
using System.Text.Json.Nodes;
using GitOrch.Agent.Images;
using GitOrch.Agent.Pods;
using GitOrch.Agent.Runtimes;
using GitOrch.Agent.Tests.Support;
using GitOrch.Core.AgentApi;

namespace GitOrch.Agent.Tests.Runtimes;

/// <summary>
/// Init containers with real runc (root only): a busybox image in a temp image store, pods with an
/// address (so they get a network namespace) and an emptyDir volume mounted at /shared, which the
/// test reads and writes from the host under the pod's state folder.
/// </summary>
public sealed class RuncInitContainerTests : IAsyncLifetime
{
    private readonly SupervisorScope _scope = new();
    private readonly List<string> _pods = [];
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
            await _scope.DisposeAsync();
            throw;
        }
    }

    public async Task DisposeAsync()
    {
        await _scope.DisposeAsync(); // Stops the supervisors: containers deleted, the pod's namespace released.
        foreach (var pod in _pods)
        {
            foreach (var name in new[] { "main", "first", "second", "setup", "migrate" })
            {
                await RuncDriver.RuncAsync(["delete", "--force", RuncDriver.ContainerId(pod, name)], CancellationToken.None, ignoreErrors: true);
            }

            await new RuncDriver().ReleasePodAsync(pod, CancellationToken.None);
        }
    }

    private string NewPod(string name)
    {
        var pod = TestPods.Key(name);
        _pods.Add(pod);
        return pod;
    }

    private static string PodIp() => $"fd00:6b38:{Random.Shared.Next(0x1000, 0xffff):x}::{Random.Shared.Next(0x1000, 0xffff):x}";

    private PodAssignment Assignment(string pod, string generation, string podIp, string restartPolicy, string main, params (string Name, string Script)[] inits)
    {
        JsonObject Container(string name, string script) => new()
        {
            ["name"] = name,
            ["image"] = "busybox:1.35",
            ["command"] = new JsonArray("/bin/sh", "-c", $"{script} # {_scope.Marker}"),
            ["volumeMounts"] = new JsonArray(new JsonObject { ["name"] = "shared", ["mountPath"] = "/shared" }),
        };
        var spec = new JsonObject
        {
            ["runtime"] = "oci",
            ["restartPolicy"] = restartPolicy,
            ["initContainers"] = new JsonArray([.. inits.Select(i => (JsonNode)Container(i.Name, i.Script))]),
            ["containers"] = new JsonArray(Container("main", main)),
            ["volumes"] = new JsonArray(new JsonObject { ["name"] = "shared", ["emptyDir"] = new JsonObject() }),
        };
        return new PodAssignment(pod, generation, JsonDocument.Parse(spec.ToJsonString()).RootElement.Clone(), podIp, new Dictionary<string, int>(), 1);
    }

    private string Shared(string pod, string file) => Path.Combine(_scope.State.Path, "pods", PodSupervisor.Escape(pod), "volumes", "shared", file);

    private static string Read(string path) => File.Exists(path) ? File.ReadAllText(path) : string.Empty;

    [RuncFact]
    public async Task TwoInitContainers_RunInOrder_SharingTheEmptyDirAndTheNetworkNamespaceWithTheContainer()
    {
        var pod = NewPod("oci-init-order");
        var ip = PodIp();
        var assignment = Assignment(pod, "g1", ip, "Never",
            "cat /shared/first /shared/second; readlink /proc/self/ns/net; echo main-started; sleep 300",
            ("first", "sleep 0.5; ip -6 addr show dev eth0 > /shared/first-addr 2>&1; readlink /proc/self/ns/net > /shared/first-net; echo one > /shared/first"),
            ("second", "test -f /shared/first || exit 7; echo two > /shared/second"));

        var supervisor = await _scope.StartAsync(assignment, _images!.Rootfs);
        var report = await Eventually.Until(supervisor.Report, r => r.Phase is "Running" or "Failed", "the pod to run", TimeSpan.FromSeconds(60));
        var log = await Eventually.Until(() => TestPods.ReadLog(supervisor), l => l.Contains("main-started\n", StringComparison.Ordinal), "the container to start");

        Assert.Equal("Running", report.Phase);
        Assert.Equal([("first", "done", 0), ("second", "done", 0)], report.InitContainers!.Select(i => (i.Name, i.State, i.ExitCode ?? -1)));
        var net = Read(Shared(pod, "first-net")).Trim();
        Assert.StartsWith("net:[", net, StringComparison.Ordinal);
        Assert.Equal($"one\ntwo\n{net}\nmain-started\n", log); // The init container's network namespace is the container's.
        Assert.Contains(ip + "/128", Read(Shared(pod, "first-addr")), StringComparison.Ordinal); // It already has the pod's address.
    }

    [RuncFact]
    public async Task AFailingInitContainer_BlocksThePod_InCrashLoop_WithItsOutput()
    {
        var pod = NewPod("oci-init-fail");
        var assignment = Assignment(pod, "g1", PodIp(), "Always", "echo main > /shared/main; sleep 300",
            ("migrate", "echo attempt >> /shared/attempts; echo migration 0042 failed 2>&1; exit 3"));

        var supervisor = await _scope.StartAsync(assignment, _images!.Rootfs);
        var report = await Eventually.Until(supervisor.Report, r => r.InitContainers?[0] is { State: "retrying", Attempts: >= 2 }, "a second failed attempt", TimeSpan.FromSeconds(60));

        Assert.Equal("CrashLoop", report.Phase);
        Assert.Equal((3, "migration 0042 failed"), (report.InitContainers![0].ExitCode!.Value, report.InitContainers[0].LastLines[^1]));
        Assert.Contains("last output: migration 0042 failed", report.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(Shared(pod, "main")), "the container started although its init container failed");
        Assert.Equal("attempt\nattempt\n", Read(Shared(pod, "attempts")));
    }

    [RuncFact]
    public async Task AnInPlaceChange_RunsTheInitContainerAgain_BeforeTheNewContainer()
    {
        var pod = NewPod("oci-init-change");
        var ip = PodIp();
        PodAssignment Version(string generation, string v) =>
            Assignment(pod, generation, ip, "Always", $"echo main-{v} >> /shared/order; sleep 300", ("setup", $"echo setup-{v} >> /shared/order"));
        var supervisor = await _scope.StartAsync(Version("g1", "v1"), _images!.Rootfs);
        await Eventually.Until(() => Read(Shared(pod, "order")), l => l == "setup-v1\nmain-v1\n", "version 1 to start", TimeSpan.FromSeconds(60));

        await supervisor.UpdateAsync(Version("g2", "v2"), CancellationToken.None);

        await Eventually.Until(() => Read(Shared(pod, "order")), l => l == "setup-v1\nmain-v1\nsetup-v2\nmain-v2\n", "version 2 to run its init container first", TimeSpan.FromSeconds(60));
        var report = await Eventually.Until(supervisor.Report, r => r.Phase == "Running", "version 2 to run");
        Assert.Equal(("g2", "done"), (report.Generation, report.InitContainers!.Single().State));
    }

    [RuncFact]
    public async Task AnAgentRestartDuringTheSecondInitContainer_RunsItAgain_WithoutRepeatingTheFirst()
    {
        var pod = NewPod("oci-init-restart");
        var assignment = Assignment(pod, "g1", PodIp(), "Always", "echo main >> /shared/main; sleep 300",
            ("first", "echo first >> /shared/first"),
            ("second", "echo started >> /shared/second; while ! test -f /shared/go; do sleep 0.1; done"));
        var agent1 = await _scope.StartAsync(assignment, _images!.Rootfs);
        await Eventually.Until(() => Read(Shared(pod, "second")), l => l == "started\n", "the second init container to start", TimeSpan.FromSeconds(60));

        await _scope.AbandonAsync(agent1); // The agent exits in the middle; runc keeps the init container running.
        var agent2 = await _scope.StartAsync(assignment, _images.Rootfs);
        await Eventually.Until(() => Read(Shared(pod, "second")), l => l == "started\nstarted\n", "the second init container to run again", TimeSpan.FromSeconds(60));
        await File.WriteAllTextAsync(Shared(pod, "go"), "go");
        var report = await Eventually.Until(agent2.Report, r => r.Phase == "Running", "the pod to run", TimeSpan.FromSeconds(60));

        Assert.Equal("first\n", Read(Shared(pod, "first")));
        await Eventually.Until(() => Read(Shared(pod, "main")), l => l == "main\n", "the container to start once");
        Assert.Equal([("first", "done"), ("second", "done")], report.InitContainers!.Select(i => (i.Name, i.State)));
    }
}
