using GitOrch.Core.AgentApi;
using GitOrch.Agent.Native;
using GitOrch.Agent.Tests.Support;

namespace GitOrch.Agent.Tests.Pods;

/// <summary>
/// Re-adoption: the agent exiting leaves its pods running (it disposes supervisors without stopping
/// them); the next supervisor for the same pod and state folder takes the running process over.
/// </summary>
public sealed class PodSupervisorAdoptionTests : IAsyncLifetime
{
    private readonly SupervisorScope _scope = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _scope.DisposeAsync();

    private Core.AgentApi.PodAssignment Assignment(string pod, string generation, string greeting = "hello") =>
        TestPods.Assignment(pod, generation, TestPods.ProcessSpec(
            $"echo \"greeting=$GREETING\"; while true; do sleep 1; done # {_scope.Marker}",
            env: new Dictionary<string, string> { ["GREETING"] = greeting }));

    [Fact]
    public async Task ANewSupervisorForTheSameGeneration_ReadoptsTheRunningProcess_WithoutStartingASecond()
    {
        var pod = TestPods.Key("adopt");
        var first = await _scope.StartAsync(Assignment(pod, "g1"));
        var pid = (await TestPods.RunningAsync(first)).Pid();
        await _scope.AbandonAsync(first);
        Assert.True(Procs.IsAlive(pid), "disposing a supervisor must leave its pod running");

        var second = await _scope.StartAsync(Assignment(pod, "g1"));
        var report = await TestPods.RunningAsync(second);

        Assert.Equal(("Running", pid, "g1"), (report.Phase, report.Pid(), report.Generation));
        Assert.Contains($"{pod}: re-adopted container main (pid {pid}) left running by the previous agent", _scope.Log.Text, StringComparison.Ordinal);
        await Procs.AssertGroupLeadersAsync(_scope.Marker, pid);
        await Eventually.Until(() => TestPods.ReadLog(second), l => l == "greeting=hello\n", "the one process's output (not started a second time)");
    }

    [Fact]
    public async Task AReadoptedProcess_IsStillStoppedByTheNewSupervisor()
    {
        var pod = TestPods.Key("adopt-stop");
        var first = await _scope.StartAsync(Assignment(pod, "g1"));
        var pid = (await TestPods.RunningAsync(first)).Pid();
        await _scope.AbandonAsync(first);
        var second = await _scope.StartAsync(Assignment(pod, "g1"));
        await Eventually.Until(second.Report, r => r.Phase == "Running" && r.Containers.SingleOrDefault()?.Pid == pid, "the adopted process to be reported");

        await _scope.StopAsync(second);

        await Eventually.True(() => !Procs.GroupAlive(pid), $"process group {pid} to be gone");
        Assert.Empty(Procs.GroupLeadersWith(_scope.Marker));
    }

    [Fact]
    public async Task ANewSupervisorWithAnotherGeneration_KillsTheLeftover_AndStartsExactlyOneFreshProcess()
    {
        var pod = TestPods.Key("adopt-new");
        var first = await _scope.StartAsync(Assignment(pod, "g1"));
        var old = (await TestPods.RunningAsync(first)).Pid();
        await Eventually.Until(() => TestPods.ReadLog(first), l => l == "greeting=hello\n", "the first definition's output"); // Running is not yet its first line.
        await _scope.AbandonAsync(first);

        var second = await _scope.StartAsync(Assignment(pod, "g2", greeting: "bonjour"));
        var report = await TestPods.RunningAsync(second);

        Assert.Equal("g2", report.Generation);
        Assert.NotEqual(old, report.Pid());
        await Eventually.True(() => !Procs.IsAlive(old), $"the leftover (pid {old}) to be killed");
        await Procs.AssertGroupLeadersAsync(_scope.Marker, report.Pid());
        Assert.DoesNotContain("re-adopted", _scope.Log.Text, StringComparison.Ordinal);
        await Eventually.Until(() => TestPods.ReadLog(second), l => l == "greeting=hello\ngreeting=bonjour\n", "the new definition's output");
    }

    [Fact]
    public async Task ANewSupervisor_StartsTheContainerAgain_WhenTheLeftoverDiedMeanwhile()
    {
        var pod = TestPods.Key("adopt-dead");
        var first = await _scope.StartAsync(Assignment(pod, "g1"));
        var old = (await TestPods.RunningAsync(first)).Pid();
        await _scope.AbandonAsync(first);
        Posix.SignalGroup(old, Posix.SigKill);
        await Eventually.True(() => !Procs.IsAlive(old), $"pid {old} to die");

        var second = await _scope.StartAsync(Assignment(pod, "g1"));
        var report = await TestPods.RunningAsync(second);

        Assert.NotEqual(old, report.Pid());
        await Procs.AssertGroupLeadersAsync(_scope.Marker, report.Pid());
        Assert.DoesNotContain("re-adopted", _scope.Log.Text, StringComparison.Ordinal);
    }
}
