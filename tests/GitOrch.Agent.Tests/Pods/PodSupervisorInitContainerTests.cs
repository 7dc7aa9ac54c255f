using System.Text.Json;
using System.Text.Json.Nodes;
using GitOrch.Agent.Native;
using GitOrch.Agent.Pods;
using GitOrch.Agent.Tests.Support;
using GitOrch.Core.AgentApi;

namespace GitOrch.Agent.Tests.Pods;

/// <summary>
/// Init containers on the process runtime, with real processes: in order before the containers,
/// a failing one blocking the pod (backoff or failure by restartPolicy, its output in the report),
/// again on an in-place change and after a reboot, and neither repeated nor skipped across an agent
/// restart. The processes share a world-writable folder, as the pod's containers would share a volume.
/// </summary>
public sealed class PodSupervisorInitContainerTests : IAsyncLifetime
{
    private readonly SupervisorScope _scope = new();
    private readonly TempDir _shared = new("gitorch-init-shared");

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        await _scope.DisposeAsync();
        _shared.Dispose();
    }

    private string Dir => _shared.WorldWritable("data");

    private JsonObject Spec(string restartPolicy, string main, params (string Name, string Script)[] inits)
    {
        var spec = TestPods.ProcessSpec($"{main} # {_scope.Marker}", restartPolicy);
        spec["initContainers"] = new JsonArray([.. inits.Select(i => (JsonNode)new JsonObject
        {
            ["name"] = i.Name,
            ["command"] = new JsonArray("/bin/sh", "-c", $"{i.Script} # {_scope.Marker}"),
        })]);
        return spec;
    }

    private static string Lines(string path) => File.Exists(path) ? File.ReadAllText(path) : string.Empty;

    [Fact]
    public async Task TwoInitContainers_RunOneAfterTheOther_BeforeTheContainer()
    {
        var dir = Dir;
        var spec = Spec("Never", $"cat {dir}/first {dir}/second; echo main-started; sleep 300",
            ("first", $"sleep 0.5; echo one > {dir}/first; echo first-done"),
            ("second", $"test -f {dir}/first || exit 7; echo two > {dir}/second; echo second-done"));

        var supervisor = await _scope.StartAsync(TestPods.Assignment(TestPods.Key("init-order"), "g1", spec));
        var report = await TestPods.RunningAsync(supervisor);

        Assert.Equal("Running", report.Phase);
        Assert.Equal([("first", "done", 0, 1), ("second", "done", 0, 1)], report.InitContainers!.Select(i => (i.Name, i.State, i.ExitCode ?? -1, i.Attempts)));
        Assert.True(report.InitContainers![0].FinishedAt <= report.InitContainers[1].StartedAt, "the second init container started before the first ended");
        Assert.Equal(["first-done"], report.InitContainers[0].LastLines);
        await Eventually.Until(() => TestPods.ReadLog(supervisor), l => l == "one\ntwo\nmain-started\n", "the container to see both files");
    }

    [Fact]
    public async Task WhileAnInitContainerRuns_ThePodIsPending_NamingIt_AndTheContainerHasNotStarted()
    {
        var dir = Dir;
        var spec = Spec("Always", $"echo main > {dir}/main; sleep 300", ("wait", $"while ! test -f {dir}/go; do sleep 0.1; done"));

        var supervisor = await _scope.StartAsync(TestPods.Assignment(TestPods.Key("init-pending"), "g1", spec));
        var report = await Eventually.Until(supervisor.Report, r => r.InitContainers?[0].State == "running", "the init container to run");

        Assert.Equal(("Pending", "init container wait (1/1) running"), (report.Phase, report.Message));
        Assert.Null(report.Containers.Single().Pid);
        Assert.False(File.Exists($"{dir}/main"));

        await File.WriteAllTextAsync($"{dir}/go", "go");
        await TestPods.RunningAsync(supervisor);
        await Eventually.True(() => File.Exists($"{dir}/main"), "the container to start after the init container");
    }

    [Fact]
    public async Task AFailingInitContainer_BlocksThePod_InCrashLoop_WithItsOutput_AndRunsAgainWithBackoff()
    {
        var dir = Dir;
        var spec = Spec("Always", $"echo main > {dir}/main; sleep 300", ("migrate", $"echo attempt >> {dir}/attempts; echo cannot reach the database; exit 3"));

        var supervisor = await _scope.StartAsync(TestPods.Assignment(TestPods.Key("init-fail"), "g1", spec));
        var report = await Eventually.Until(supervisor.Report, r => r.InitContainers?[0].Attempts >= 2 && r.InitContainers[0].State == "retrying", "a second failed attempt");

        var init = report.InitContainers![0];
        Assert.Equal("CrashLoop", report.Phase);
        Assert.Equal(3, init.ExitCode);
        Assert.Equal("cannot reach the database", init.LastLines[^1]);
        // A slow machine may see a later attempt first: its backoff doubles from 1 s.
        Assert.Contains($"init container migrate exited with code 3; running it again in {1 << (init.Attempts - 1)}s", report.Message, StringComparison.Ordinal);
        Assert.Contains("last output: cannot reach the database", report.Message, StringComparison.Ordinal);
        Assert.NotNull(init.RetryAt);
        Assert.False(File.Exists($"{dir}/main"), "the container started although its init container failed");
        Assert.Null(report.Containers.Single().Pid);
    }

    [Fact]
    public async Task AnInitContainersLastOutput_IsItsLastRunsOutput_NotEveryRunsBeforeIt()
    {
        var spec = Spec("Always", "sleep 300", ("migrate", "echo preparing; echo boom; exit 3"));

        var supervisor = await _scope.StartAsync(TestPods.Assignment(TestPods.Key("init-last"), "g1", spec));
        var report = await Eventually.Until(supervisor.Report, r => r.InitContainers?[0].Attempts >= 2 && r.InitContainers[0].State == "retrying", "a second failed attempt");

        Assert.Equal(["preparing", "boom"], report.InitContainers![0].LastLines);
        var runs = report.InitContainers[0].Attempts;
        Assert.InRange(RotatingLog.Tail(supervisor.LogFile("migrate"), 20).Count(l => l == "boom"), runs, runs + 1); // The log keeps every run (one more may have begun since).
    }

    [Fact]
    public async Task AFailingInitContainer_UnderRestartPolicyNever_FailsThePod_AndIsNotRunAgain()
    {
        var dir = Dir;
        var spec = Spec("Never", $"echo main > {dir}/main; sleep 300", ("migrate", $"echo attempt >> {dir}/attempts; echo schema mismatch; exit 4"), ("after", $"echo after > {dir}/after"));

        var supervisor = await _scope.StartAsync(TestPods.Assignment(TestPods.Key("init-never"), "g1", spec));
        var report = await Eventually.Until(supervisor.Report, r => r.Phase == "Failed", "the pod to fail");

        Assert.Equal("init container migrate exited with code 4 (restartPolicy Never: the pod fails); last output: schema mismatch", report.Message);
        Assert.Equal([("migrate", "failed"), ("after", "waiting")], report.InitContainers!.Select(i => (i.Name, i.State)));
        await Task.Delay(1500); // Longer than the first backoff: a retry would have happened by now.
        Assert.Equal("attempt\n", Lines($"{dir}/attempts"));
        Assert.False(File.Exists($"{dir}/after") || File.Exists($"{dir}/main"));
    }

    [Fact]
    public async Task AnInPlaceChange_RunsTheInitContainersAgain_BeforeTheNewContainer()
    {
        var dir = Dir;
        JsonObject Version(string v) => Spec("Always", $"echo main-{v} >> {dir}/order; sleep 300", ("setup", $"echo init-{v} >> {dir}/order"));
        var pod = TestPods.Key("init-change");
        var supervisor = await _scope.StartAsync(TestPods.Assignment(pod, "g1", Version("v1")));
        await Eventually.Until(() => Lines($"{dir}/order"), l => l == "init-v1\nmain-v1\n", "version 1 to start");

        await supervisor.UpdateAsync(TestPods.Assignment(pod, "g2", Version("v2")), CancellationToken.None);

        await Eventually.Until(() => Lines($"{dir}/order"), l => l == "init-v1\nmain-v1\ninit-v2\nmain-v2\n", "version 2 to run its init container first");
        var report = await TestPods.RunningAsync(supervisor);
        Assert.Equal(("g2", "done", 1), (report.Generation, report.InitContainers!.Single().State, report.InitContainers!.Single().Attempts));
    }

    [Fact]
    public async Task AnAgentRestartDuringTheSecondInitContainer_RunsItAgain_WithoutRepeatingTheFirst()
    {
        var dir = Dir;
        var spec = Spec("Always", $"echo main >> {dir}/main; sleep 300",
            ("first", $"echo first >> {dir}/first"),
            ("second", $"echo $$ >> {dir}/second; while ! test -f {dir}/go; do sleep 0.1; done"));
        var pod = TestPods.Key("init-agent-restart");
        var agent1 = await _scope.StartAsync(TestPods.Assignment(pod, "g1", spec));
        var firstRun = await Eventually.Until(() => Lines($"{dir}/second"), l => l.Length > 0, "the second init container to start");
        var leftover = int.Parse(firstRun.Trim(), System.Globalization.CultureInfo.InvariantCulture);

        await _scope.AbandonAsync(agent1); // The agent exits; the init container keeps running.
        Assert.True(Procs.IsAlive(leftover));
        var agent2 = await _scope.StartAsync(TestPods.Assignment(pod, "g1", spec));

        await Eventually.Until(() => Lines($"{dir}/second").Split('\n', StringSplitOptions.RemoveEmptyEntries).Length, n => n == 2, "the second init container to run again");
        await Eventually.True(() => !Procs.IsAlive(leftover), "the interrupted run to be killed");
        await File.WriteAllTextAsync($"{dir}/go", "go");
        var report = await TestPods.RunningAsync(agent2);

        Assert.Equal("first\n", Lines($"{dir}/first"));
        Assert.Equal("main\n", await Eventually.Until(() => Lines($"{dir}/main"), l => l.Length > 0, "the main container to write its line")); // Running comes as it starts, before its first line.
        Assert.Equal([("first", "done", 0), ("second", "done", 1)], report.InitContainers!.Select(i => (i.Name, i.State, i.Attempts)));
    }

    [Fact]
    public async Task AnAgentRestartAfterThePodStarted_ReadoptsTheContainer_AndDoesNotRunTheInitContainersAgain()
    {
        var dir = Dir;
        var spec = Spec("Always", $"echo main >> {dir}/main; sleep 300", ("setup", $"echo setup >> {dir}/setup"));
        var pod = TestPods.Key("init-adopt");
        var agent1 = await _scope.StartAsync(TestPods.Assignment(pod, "g1", spec));
        var pid = (await TestPods.RunningAsync(agent1)).Pid();

        await _scope.AbandonAsync(agent1);
        var agent2 = await _scope.StartAsync(TestPods.Assignment(pod, "g1", spec));
        var report = await TestPods.RunningAsync(agent2);

        Assert.Equal(pid, report.Pid());
        Assert.Equal("setup\n", Lines($"{dir}/setup"));
        Assert.Equal("main\n", await Eventually.Until(() => Lines($"{dir}/main"), l => l.Length > 0, "the main container to write its line")); // Running comes as it starts, before its first line.
    }

    [Fact]
    public async Task AfterAReboot_TheInitContainersRunAgain_BeforeTheContainer()
    {
        var dir = Dir;
        var spec = Spec("Always", $"echo main >> {dir}/order; sleep 300", ("setup", $"echo setup >> {dir}/order"));
        var pod = TestPods.Key("init-reboot");
        var agent1 = await _scope.StartAsync(TestPods.Assignment(pod, "g1", spec));
        var pid = (await TestPods.RunningAsync(agent1)).Pid();
        await Eventually.Until(() => Lines($"{dir}/order"), l => l == "setup\nmain\n", "the container's first line"); // Running comes before its shell writes.

        // A reboot: the agent and every process are gone, and the kernel has a new boot id.
        await _scope.AbandonAsync(agent1);
        Posix.SignalGroup(pid, Posix.SigKill);
        await Eventually.True(() => !Procs.GroupAlive(pid), "the container to die with the machine");
        var progressFile = Path.Combine(_scope.State.Path, "pods", PodSupervisor.Escape(pod), "_init.json");
        var progress = JsonSerializer.Deserialize<InitProgress>(await File.ReadAllTextAsync(progressFile))!;
        Assert.Equal("g1", progress.Generation);
        Assert.Equal(["setup"], progress.Completed);
        await File.WriteAllTextAsync(progressFile, JsonSerializer.Serialize(progress with { BootId = "an-earlier-boot" }));

        var agent2 = await _scope.StartAsync(TestPods.Assignment(pod, "g1", spec));
        await TestPods.RunningAsync(agent2);

        await Eventually.Until(() => Lines($"{dir}/order"), l => l == "setup\nmain\nsetup\nmain\n", "the init container to run again before the container");
    }

    [Fact]
    public async Task ACorruptProgressFile_RunsTheInitContainersAgain_NeverSkipsThem()
    {
        var dir = Dir;
        var spec = Spec("Always", $"echo main >> {dir}/order; sleep 300", ("setup", $"echo setup >> {dir}/order"));
        var pod = TestPods.Key("init-corrupt");
        var agent1 = await _scope.StartAsync(TestPods.Assignment(pod, "g1", spec));
        var pid = (await TestPods.RunningAsync(agent1)).Pid();
        // Running is reported once the process exists; its shell writes a moment later.
        await Eventually.Until(() => Lines($"{dir}/order"), l => l == "setup\nmain\n", "the container's first line");
        await _scope.AbandonAsync(agent1);
        Posix.SignalGroup(pid, Posix.SigKill);
        await Eventually.True(() => !Procs.GroupAlive(pid), "the container to die");
        await File.WriteAllTextAsync(Path.Combine(_scope.State.Path, "pods", PodSupervisor.Escape(pod), "_init.json"), "{\"Generation\": [not json");

        var agent2 = await _scope.StartAsync(TestPods.Assignment(pod, "g1", spec));
        await TestPods.RunningAsync(agent2);

        await Eventually.Until(() => Lines($"{dir}/order"), l => l == "setup\nmain\nsetup\nmain\n", "the init container to run again");
    }

    [Fact]
    public async Task StoppingThePod_DuringAnInitContainer_EndsIt_AndNeverStartsTheContainer()
    {
        var dir = Dir;
        var spec = Spec("Always", $"echo main > {dir}/main; sleep 300", ("wait", $"echo $$ > {dir}/pid; sleep 300"));
        var supervisor = await _scope.StartAsync(TestPods.Assignment(TestPods.Key("init-stop"), "g1", spec));
        var pid = int.Parse((await Eventually.Until(() => Lines($"{dir}/pid"), l => l.EndsWith('\n'), "the init container to start")).Trim(), System.Globalization.CultureInfo.InvariantCulture);

        await _scope.StopAsync(supervisor);

        // Killed by the stop; the kernel may take a moment to take the last member away.
        await Eventually.Until(() => Procs.GroupAlive(pid), alive => !alive, "the init container's group to be gone");
        Assert.False(File.Exists($"{dir}/main"));
        Assert.Empty(Procs.GroupLeadersWith(_scope.Marker));
    }
}
