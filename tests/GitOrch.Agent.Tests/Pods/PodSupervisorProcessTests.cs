using System.Text.Json.Nodes;
using GitOrch.Agent.Tests.Support;

namespace GitOrch.Agent.Tests.Pods;

/// <summary>The pod supervisor with the process runtime: real host processes, real log files.</summary>
public sealed class PodSupervisorProcessTests : IAsyncLifetime
{
    private readonly SupervisorScope _scope = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _scope.DisposeAsync();

    private string Forever(string before = "") => $"{before}while true; do sleep 1; done # {_scope.Marker}";

    [Fact]
    public async Task StartsTheCommand_AndItsOutputGoesToTheContainerLogFile()
    {
        var pod = TestPods.Key("hello");
        var supervisor = await _scope.StartAsync(TestPods.Assignment(pod, "g1", TestPods.ProcessSpec(Forever("echo hello from main; echo oops >&2; "))));

        var report = await TestPods.RunningAsync(supervisor);

        Assert.Equal(pod, report.Pod);
        Assert.Equal("g1", report.Generation);
        Assert.Equal(0, report.Restarts);
        Assert.Null(report.Message);
        var container = Assert.Single(report.Containers);
        Assert.Equal(("main", "running", 0), (container.Name, container.State, container.Restarts));
        Assert.True(Procs.IsAlive(container.Pid!.Value), $"pid {container.Pid} is not alive");
        await Procs.AssertGroupLeadersAsync(_scope.Marker, container.Pid.Value);
        Assert.Equal(Path.Combine(_scope.State.Path, "pods", "Pod_test_" + pod.Split('/')[2], "main.log"), supervisor.LogFile("main"));
        var log = await Eventually.Until(() => TestPods.ReadLog(supervisor), l => l.Contains("oops", StringComparison.Ordinal), "the log to hold stdout and stderr");
        Assert.Equal("hello from main\noops\n", log);
    }

    [Fact]
    public async Task SubstitutesHostPorts_InTheCommandAndTheEnvironment()
    {
        var ports = new Dictionary<string, int> { ["http"] = 31234, ["admin-api"] = 31235 };
        var env = new Dictionary<string, string> { ["URL"] = "http://localhost:$(PORT_HTTP)/" };
        var script = Forever("echo \"arg=$(PORT_HTTP) env=$PORT_HTTP url=$URL admin=$PORT_ADMIN_API\"; ");
        var supervisor = await _scope.StartAsync(TestPods.Assignment(TestPods.Key("ports"), "g1", TestPods.ProcessSpec(script, env: env, ports: ["http", "admin-api"]), ports));

        var log = await Eventually.Until(() => TestPods.ReadLog(supervisor), l => l.EndsWith('\n'), "the first log line");

        Assert.Equal("arg=31234 env=31234 url=http://localhost:31234/ admin=31235\n", log);
    }

    [Fact]
    public async Task ACrashingContainer_IsInCrashLoop_WithExitCodeRestartsDoublingBackoffAndFoldedLastOutput()
    {
        var script = $"echo 'fatal: config file missing'; exit 3 # {_scope.Marker}";
        var supervisor = await _scope.StartAsync(TestPods.Assignment(TestPods.Key("crash"), "g1", TestPods.ProcessSpec(script)));

        // Each crash in turn, or a later one when the machine is too slow to see it: the backoff doubles from 1 s and the
        // output folds the repeats.
        var seen = -1;
        while (seen < 2)
        {
            var report = await Eventually.Until(supervisor.Report, r => r.Containers.Single() is { State: "crashloop" } c && c.Restarts > seen, $"a crash after restart {seen}");
            var container = report.Containers.Single();
            var restarts = container.Restarts;
            var output = restarts == 0 ? "fatal: config file missing" : $"fatal: config file missing (×{restarts + 1})";
            Assert.Equal(TimeSpan.FromSeconds(1 << restarts), container.NextAttemptAt - container.FinishedAt);
            Assert.Equal(("CrashLoop", restarts, (int?)3, (int?)null), (report.Phase, report.Restarts, container.ExitCode, container.Pid));
            Assert.Equal([output], container.LastOutput);
            Assert.Equal($"main exited with code 3 ({restarts} restart(s)); next attempt at {container.NextAttemptAt:HH:mm:ss}Z; last output: {output}", report.Message);
            seen = restarts;
        }

        var lines = TestPods.ReadLog(supervisor).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(lines.Length >= 3, $"{lines.Length} line(s) in the log");
        Assert.All(lines, l => Assert.Equal("fatal: config file missing", l));
        Assert.Contains($"{supervisor.Pod}: container main exited with code 3; restart in 2s", _scope.Log.Text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Never", 0, "Succeeded", "exited")]
    [InlineData("Never", 3, "Failed", "exited")]
    [InlineData("OnFailure", 0, "Succeeded", "exited")]
    [InlineData("OnFailure", 3, "CrashLoop", "crashloop")]
    [InlineData("Always", 0, "CrashLoop", "crashloop")]
    public async Task RestartPolicy_DecidesBetweenAFinalPhaseAndACrashLoop(string policy, int exitCode, string phase, string state)
    {
        var script = $"echo ran; exit {exitCode} # {_scope.Marker}";
        var supervisor = await _scope.StartAsync(TestPods.Assignment(TestPods.Key("policy"), "g1", TestPods.ProcessSpec(script, restartPolicy: policy)));

        var report = await Eventually.Until(supervisor.Report, r => r.Containers.Single().ExitCode is not null, "the container to exit");

        Assert.Equal((phase, 0), (report.Phase, report.Restarts));
        var container = Assert.Single(report.Containers);
        Assert.Equal((state, (int?)exitCode), (container.State, container.ExitCode));
        Assert.Equal(["ran"], container.LastOutput);
        Assert.Equal(state == "crashloop", container.NextAttemptAt is not null);
        Assert.Equal("ran\n", TestPods.ReadLog(supervisor));
    }

    [Fact]
    public async Task ANewGeneration_RestartsThePodInPlace_NewPidSameName_OldProcessGone()
    {
        var pod = TestPods.Key("update");
        var script = Forever("echo \"greeting=$GREETING\"; ");
        var supervisor = await _scope.StartAsync(TestPods.Assignment(pod, "g1", TestPods.ProcessSpec(script, env: new Dictionary<string, string> { ["GREETING"] = "hello" })));
        var before = await TestPods.RunningAsync(supervisor);
        await Eventually.Until(() => TestPods.ReadLog(supervisor), l => l.Contains("greeting=hello", StringComparison.Ordinal), "the first greeting");

        await supervisor.UpdateAsync(TestPods.Assignment(pod, "g2", TestPods.ProcessSpec(script, env: new Dictionary<string, string> { ["GREETING"] = "bonjour" })), CancellationToken.None);
        var after = await TestPods.RunningAsync(supervisor);

        Assert.Equal((pod, pod, "g2"), (supervisor.Pod, after.Pod, after.Generation));
        Assert.NotEqual(before.Pid(), after.Pid());
        await Eventually.True(() => !Directory.Exists($"/proc/{before.Pid()}"), $"/proc/{before.Pid()} (the old process) to disappear");
        await Procs.AssertGroupLeadersAsync(_scope.Marker, after.Pid());
        await Eventually.Until(() => TestPods.ReadLog(supervisor), l => l == "greeting=hello\ngreeting=bonjour\n", "the new greeting after the old one");
        Assert.Equal(0, after.Restarts);
    }

    [Fact]
    public async Task TheSameGeneration_IsNotARestart()
    {
        var pod = TestPods.Key("same");
        var spec = TestPods.ProcessSpec(Forever());
        var supervisor = await _scope.StartAsync(TestPods.Assignment(pod, "g1", spec));
        var before = await TestPods.RunningAsync(supervisor);

        await supervisor.UpdateAsync(TestPods.Assignment(pod, "g1", spec), CancellationToken.None);

        var after = supervisor.Report();
        Assert.Equal(("Running", before.Pid()), (after.Phase, after.Pid()));
        await Procs.AssertGroupLeadersAsync(_scope.Marker, before.Pid());
    }

    [Theory]
    [InlineData("trap 'echo got-TERM' TERM")] // Sees SIGTERM, and carries on.
    [InlineData("trap '' TERM")] // Ignores SIGTERM.
    public async Task Stop_SendsTermFirst_ThenKillsAProcessThatSurvivesItAfterTheGracePeriod(string trap)
    {
        var script = $"{trap}; while true; do echo tick; sleep 0.2; done # {_scope.Marker}";
        var supervisor = await _scope.StartAsync(TestPods.Assignment(TestPods.Key("stubborn"), "g1", TestPods.ProcessSpec(script), graceSeconds: 1));
        var running = await TestPods.RunningAsync(supervisor);
        await Eventually.Until(() => TestPods.ReadLog(supervisor), l => l.Contains("tick", StringComparison.Ordinal), "a first tick");
        var record = Path.Combine(Path.GetDirectoryName(supervisor.LogFile("main"))!, "main.json");
        Assert.True(File.Exists(record), "the container record is written while it runs");

        await _scope.StopAsync(supervisor);

        await Eventually.True(() => !Procs.GroupAlive(running.Pid()), $"process group {running.Pid()} to be gone"); // SIGKILL reached the whole group.
        Assert.Empty(Procs.GroupLeadersWith(_scope.Marker));
        Assert.False(File.Exists(record), "the container record is deleted once the pod is stopped");
        if (trap.Contains("got-TERM", StringComparison.Ordinal))
        {
            var log = TestPods.ReadLog(supervisor);
            var term = log.IndexOf("got-TERM\n", StringComparison.Ordinal);
            Assert.True(term >= 0, $"the process never saw SIGTERM; log:\n{log}");
            Assert.Contains("tick\n", log[term..], StringComparison.Ordinal); // It survived SIGTERM and kept running until SIGKILL.
        }
    }

    [RootFact]
    public async Task AsRoot_TheProcessRunsAsNobody_WithNoNewPrivs_AndNoSupplementaryGroups()
    {
        var supervisor = await _scope.StartAsync(TestPods.Assignment(TestPods.Key("nobody"), "g1", TestPods.ProcessSpec(Forever())));

        var pid = (await TestPods.RunningAsync(supervisor)).Pid();

        // Running comes when the launcher has started; it drops to the pod's ids as it execs the command.
        await Eventually.Until(() => Procs.Status(pid, "Uid"), u => u != "0\t0\t0\t0", "the launcher to drop root");
        Assert.Equal("65534\t65534\t65534\t65534", Procs.Status(pid, "Uid"));
        Assert.Equal("65534\t65534\t65534\t65534", Procs.Status(pid, "Gid"));
        Assert.Equal("1", Procs.Status(pid, "NoNewPrivs"));
        Assert.Equal(string.Empty, Procs.Status(pid, "Groups")?.Trim());
        Assert.Equal("0000000000000000", Procs.Status(pid, "CapEff"));
    }

    [RootFact]
    public async Task AsRoot_AValidatedRunAsUserAndGroup_AreTheProcessIds()
    {
        var spec = TestPods.ProcessSpec(Forever());
        spec["security"] = new JsonObject { ["runAsUser"] = 4242, ["runAsGroup"] = 4343 };
        var supervisor = await _scope.StartAsync(TestPods.Assignment(TestPods.Key("uid"), "g1", spec));

        var pid = (await TestPods.RunningAsync(supervisor)).Pid();

        await Eventually.Until(() => Procs.Status(pid, "Uid"), u => u != "0\t0\t0\t0", "the launcher to drop root");
        Assert.Equal("4242\t4242\t4242\t4242", Procs.Status(pid, "Uid"));
        Assert.Equal("4343\t4343\t4343\t4343", Procs.Status(pid, "Gid"));
        Assert.Equal("1", Procs.Status(pid, "NoNewPrivs"));
    }
}
