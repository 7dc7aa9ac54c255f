using GitOrch.Workflow.Execution;
using GitOrch.Workflow.Model;
using GitOrch.Workflow.Store;
using GitOrch.Workflow.Tests.Support;
using static GitOrch.Workflow.Tests.Support.Steps;
using static GitOrch.Workflow.Tests.Support.Units;

namespace GitOrch.Workflow.Tests.Execution;

/// <summary>Supersession, cancellation, idle/quiet, and resuming after a restart.</summary>
public sealed class WorkflowEngineLifecycleTests
{
    // ---- supersession ------------------------------------------------------------------------

    [Fact]
    public async Task ANewTransactionForTheSameObject_CancelsTheOldRunningStep_AndSkipsTheOldUnits()
    {
        var slowRunning = Signal();
        var slowCancelled = Signal();
        var runner = new ScriptedRunner()
            .On("slow", ScriptedRunner.UntilCancelled(slowRunning, slowCancelled))
            .On("after-slow", () => StepOutcome.Done("must not run"))
            .On("fresh", () => StepOutcome.Done("fresh done"));
        await using var h = new EngineHarness(runner);

        var old = h.Start(Step("slow"), Step("after-slow", after: ["slow"]));
        await Wait.ForAsync(slowRunning.Task, "the old transaction's step to run");
        var next = h.Start(Step("fresh"));
        await Wait.ForAsync(slowCancelled.Task, "the old step to be cancelled");
        await h.IdleAsync();

        var why = $"superseded by transaction {next.Id}";
        Assert.True(old.Superseded);
        Assert.Equal("superseded", old.State);
        Assert.Equal((UnitState.Skipped, why), (old.Find("slow")!.State, old.Find("slow")!.Message));
        Assert.Equal((UnitState.Skipped, why), (old.Find("after-slow")!.State, old.Find("after-slow")!.Message));
        Assert.Equal(0, runner.CallsOf("after-slow"));
        Assert.Equal("done", next.State);
        Assert.Equal(next.Id, h.Engine.Current(EngineHarness.Pod)!.Id);
        Assert.Contains(h.Engine.Logs(EngineHarness.Pod), l => l.Transaction == old.Id && l.Message == $"transaction {old.Id} {why}");
        Assert.Empty(h.Store.LoadActive());
    }

    [Fact]
    public async Task Cancel_SkipsTheObjectsUnits_WithTheReason()
    {
        var running = Signal();
        var cancelled = Signal();
        var runner = new ScriptedRunner().On("slow", ScriptedRunner.UntilCancelled(running, cancelled));
        await using var h = new EngineHarness(runner);

        var t = h.Start(Step("slow"), Target("done.target", after: ["slow"]));
        await Wait.ForAsync(running.Task, "the step to run");
        h.Engine.Cancel(EngineHarness.Pod, "the object was deleted");
        await h.IdleAsync();
        await Wait.ForAsync(cancelled.Task, "the step to be cancelled");

        Assert.All(t.Units, u => Assert.Equal((UnitState.Skipped, "the object was deleted"), (u.State, u.Message)));
        Assert.Equal(0, h.Engine.ActiveCount);
    }

    // ---- idle and quiet ----------------------------------------------------------------------

    [Fact]
    public async Task WhenIdleAndWhenQuiet_CompleteWhenTheWorkIsDone_AndQuietAlsoWhileARequeueIsPending()
    {
        var gate = Signal();
        var runner = new ScriptedRunner()
            .On("gate", Gated(gate, "open"))
            .On("poll", () => StepOutcome.Requeue(TimeSpan.FromHours(1), "waiting for the node"));
        await using var h = new EngineHarness(runner);

        h.Start(Step("gate"));
        var idle = h.Engine.WhenIdleAsync(CancellationToken.None);
        var quiet = h.Engine.WhenQuietAsync(CancellationToken.None);
        Assert.False(idle.IsCompleted);
        Assert.False(quiet.IsCompleted);
        gate.SetResult();
        await Wait.ForAsync(idle, "idle after the step finished");
        await Wait.ForAsync(quiet, "quiet after the step finished");

        var t = h.Start(Step("poll"));
        await Wait.ForAsync(h.Engine.WhenQuietAsync(CancellationToken.None), "quiet while a requeue is pending");
        var poll = t.Find("poll")!;
        Assert.Equal((UnitState.Waiting, "waiting for the node"), (poll.State, poll.Message));
        Assert.NotNull(poll.NextAttemptAt);
        Assert.False(h.Engine.WhenIdleAsync(CancellationToken.None).IsCompleted);
        Assert.Equal(1, h.Engine.ActiveCount);
    }

    // ---- restart -----------------------------------------------------------------------------

    [Fact]
    public async Task Resume_AfterARestart_RunsAgainTheStepsThatWereRunning_WithTheRestartMessage()
    {
        var running = Signal();
        await using var h = new EngineHarness(new ScriptedRunner().On("mount", ScriptedRunner.UntilCancelled(running)));
        var t = h.Start(Step("mount"), Target("storage.target", after: ["mount"], requires: ["mount"]));
        await Wait.ForAsync(running.Task, "the step to run");

        await h.StopAsync();
        using (var store = new WorkflowStore(h.DatabasePath))
        {
            var stored = store.Latest(EngineHarness.Pod)!;
            Assert.Equal((t.Id, "active"), (stored.Id, stored.State));
            Assert.Equal(UnitState.Running, stored.Find("mount")!.State);
            Assert.Equal(UnitState.Waiting, stored.Find("storage.target")!.State);
        }

        var gate = Signal();
        var again = new ScriptedRunner().On("mount", Gated(gate, "mounted again"));
        h.Reopen(again);
        Assert.Equal(1, h.Engine.Resume());

        var resumed = h.Engine.Current(EngineHarness.Pod)!;
        Assert.Equal(t.Id, resumed.Id);
        await Wait.UntilAsync(() => again.CallsOf("mount") == 1, "the interrupted step to run again");
        var mount = resumed.Find("mount")!;
        Assert.Equal(UnitState.Running, mount.State);
        Assert.Equal("interrupted by a controller restart; runs again (loops are idempotent)", mount.Message);
        Assert.Equal(2, mount.Attempts);

        gate.SetResult();
        await h.IdleAsync();
        Assert.Equal((UnitState.Done, "mounted again"), (mount.State, mount.Message));
        Assert.Equal(UnitState.Done, resumed.Find("storage.target")!.State);
        Assert.Equal("done", h.Store.Latest(EngineHarness.Pod)!.State);
    }

    [Fact]
    public async Task Resume_AfterARestart_RunsARetryThatWasPendingWhenTheControllerStopped()
    {
        var options = new EngineOptions { RetryBase = TimeSpan.FromSeconds(1), FlushInterval = TimeSpan.FromMilliseconds(10) };
        await using var h = new EngineHarness(new ScriptedRunner().On("mount", () => StepOutcome.Failed("server busy")), options);
        var t = h.Start(Step("mount", maxAttempts: 3));
        var mount = t.Find("mount")!;
        await Wait.UntilAsync(() => mount.Failures == 1 && mount.State == UnitState.Waiting && mount.NextAttemptAt is not null, "the first attempt to fail and a retry to be pending");

        await h.StopAsync();
        var again = new ScriptedRunner().On("mount", () => StepOutcome.Done("mounted"));
        h.Reopen(again);
        Assert.Equal(1, h.Engine.Resume());

        // The retry was due about a second after the first failure; it must still happen after the restart.
        await Wait.ForAsync(h.Engine.WhenIdleAsync(CancellationToken.None), "the retry that was pending at the restart to run", TimeSpan.FromSeconds(10));
        var resumed = h.Engine.Current(EngineHarness.Pod)!.Find("mount")!;
        Assert.Equal((UnitState.Done, "mounted"), (resumed.State, resumed.Message));
        Assert.Equal(1, again.CallsOf("mount"));
    }

    [Fact]
    public async Task AfterARestart_TheFirstRepeatedNotYet_IsLoggedAgain()
    {
        // A waiting step logs its "not yet" once per process: the log then shows the controller that
        // took over (a restart, a new leader) working on it.
        var options = new EngineOptions { FlushInterval = TimeSpan.FromMilliseconds(10) };
        var calls = 0;
        await using var h = new EngineHarness(new ScriptedRunner().On("place", () =>
            Interlocked.Increment(ref calls) == 1 ? StepOutcome.Requeue(TimeSpan.FromMilliseconds(10), "no node") : StepOutcome.Requeue(TimeSpan.FromHours(1), "no node")), options);
        var t = h.Start(Step("place"));
        await Wait.UntilAsync(() => t.Find("place")!.Attempts == 2 && t.Find("place")!.State == UnitState.Waiting, "the step to say not yet twice");
        Assert.Equal(["info not yet: no node; again in 0s"], LogsOf(h, "place"));

        await h.StopAsync();
        var again = new ScriptedRunner().On("place", () => StepOutcome.Requeue(TimeSpan.FromHours(1), "no node"));
        h.Reopen(again);
        h.Engine.Resume();
        h.Engine.WakeWaiting("place");
        await Wait.UntilAsync(() => again.CallsOf("place") == 1 && LogsOf(h, "place").Count == 2, "the step to run and log once after the restart");

        Assert.Equal(["info not yet: no node; again in 0s", "info not yet: no node; again in 3600s"], LogsOf(h, "place"));
    }
}
