using GitOrch.Workflow.Execution;
using GitOrch.Workflow.Model;
using GitOrch.Workflow.Tests.Support;
using static GitOrch.Workflow.Tests.Support.Steps;
using static GitOrch.Workflow.Tests.Support.Units;

namespace GitOrch.Workflow.Tests.Execution;

/// <summary>Timeouts, retries and requeues of steps, on real time with fast retries.</summary>
public sealed class WorkflowEngineRetryTests
{
    // ---- timeouts, retries, requeues ---------------------------------------------------------------

    [Fact]
    public async Task AStepThatRunsPastItsTimeout_EndsTimedOut_AfterMaxAttempts_NamingTheTimeout()
    {
        var runner = new ScriptedRunner().On("hang", ScriptedRunner.UntilCancelled());
        await using var h = new EngineHarness(runner);

        var t = h.Start(Step("hang", timeoutSeconds: 1, maxAttempts: 2));
        await h.IdleAsync();

        var hang = t.Find("hang")!;
        Assert.Equal(UnitState.TimedOut, hang.State);
        Assert.Equal("did not finish within 1s (timeoutSeconds); the attempt was cancelled (after 2 attempts)", hang.Message);
        Assert.Equal((2, 2), (hang.Attempts, hang.Failures));
        Assert.Equal(2, runner.CallsOf("hang"));
        var logs = LogsOf(h, "hang");
        Assert.StartsWith("warning attempt 1 timed out: did not finish within 1s (timeoutSeconds); the attempt was cancelled; retry 2/2 in ", logs[0], StringComparison.Ordinal);
        Assert.Equal("error timed-out: did not finish within 1s (timeoutSeconds); the attempt was cancelled (after 2 attempts)", logs[^1]);
    }

    [Fact]
    public async Task AStepThatFailsTwiceThenSucceeds_EndsDone_WithThreeAttemptsAndTwoFailures()
    {
        var calls = 0;
        var runner = new ScriptedRunner().On("flaky", () =>
        {
            var call = Interlocked.Increment(ref calls);
            return call <= 2 ? StepOutcome.Failed($"flake {call}") : StepOutcome.Done("mounted");
        });
        await using var h = new EngineHarness(runner);

        var t = h.Start(Step("flaky", maxAttempts: 3));
        await h.IdleAsync();

        var flaky = t.Find("flaky")!;
        Assert.Equal((UnitState.Done, "mounted"), (flaky.State, flaky.Message));
        Assert.Equal((3, 2), (flaky.Attempts, flaky.Failures));
        var logs = LogsOf(h, "flaky");
        Assert.Equal(3, logs.Count);
        Assert.StartsWith("warning attempt 1 failed: flake 1; retry 2/3 in ", logs[0], StringComparison.Ordinal);
        Assert.StartsWith("warning attempt 2 failed: flake 2; retry 3/3 in ", logs[1], StringComparison.Ordinal);
        Assert.Equal("info done: mounted", logs[2]);
    }

    [Theory]
    [InlineData(1, "nope")]
    [InlineData(3, "nope (after 3 attempts)")]
    public async Task AStepThatAlwaysFails_RunsExactlyMaxAttemptsTimes(int maxAttempts, string message)
    {
        var runner = new ScriptedRunner().On("broken", () => StepOutcome.Failed("nope"));
        await using var h = new EngineHarness(runner);

        var t = h.Start(Step("broken", maxAttempts: maxAttempts));
        await h.IdleAsync();

        var broken = t.Find("broken")!;
        Assert.Equal((UnitState.Failed, message), (broken.State, broken.Message));
        Assert.Equal((maxAttempts, maxAttempts), (broken.Attempts, broken.Failures));
        Assert.Equal(maxAttempts, runner.CallsOf("broken"));
    }

    [Fact]
    public async Task AnExceptionFromALoop_IsAFailedAttempt_NamingTheException()
    {
        var runner = new ScriptedRunner().On("buggy", () => throw new InvalidOperationException("loop bug"));
        await using var h = new EngineHarness(runner);

        var t = h.Start(Step("buggy"));
        await h.IdleAsync();

        Assert.Equal((UnitState.Failed, "InvalidOperationException: loop bug"), (t.Find("buggy")!.State, t.Find("buggy")!.Message));
    }

    [Fact]
    public async Task Requeue_CallsTheStepAgain_WithoutCountingAFailure_AndLogsARepeatedMessageOnce()
    {
        var calls = 0;
        var runner = new ScriptedRunner().On("poll", () => Interlocked.Increment(ref calls) switch
        {
            1 or 2 or 3 => StepOutcome.Requeue(TimeSpan.FromMilliseconds(10), "image not there yet"),
            4 => StepOutcome.Requeue(TimeSpan.FromMilliseconds(10), "image half there"),
            _ => StepOutcome.Done("image present"),
        });
        await using var h = new EngineHarness(runner);

        // One attempt allowed: the requeues must not use it up.
        var t = h.Start(Step("poll", maxAttempts: 1));
        await h.IdleAsync();

        var poll = t.Find("poll")!;
        Assert.Equal((UnitState.Done, "image present"), (poll.State, poll.Message));
        Assert.Equal((5, 0), (poll.Attempts, poll.Failures));

        // A step that polls says "not yet" once per change of its message, not once per poll:
        // 10,000 waiting pods would otherwise write a line each per poll, for ever.
        Assert.Equal(
            ["info not yet: image not there yet; again in 0s", "info not yet: image half there; again in 0s", "info done: image present"],
            LogsOf(h, "poll"));
    }

    [Fact]
    public async Task WakeWaiting_RunsAStepsPendingRequeueNow_AndOnlyThatOwnersSteps()
    {
        var calls = new System.Collections.Concurrent.ConcurrentDictionary<string, int>();
        StepOutcome Poll(string step) => calls.AddOrUpdate(step, 1, (_, n) => n + 1) == 1
            ? StepOutcome.Requeue(TimeSpan.FromHours(1), "no room yet")
            : StepOutcome.Done("placed");
        var runner = new ScriptedRunner().On("place", () => Poll("place")).On("other", () => Poll("other"));
        await using var h = new EngineHarness(runner);
        var t = h.Start(Step("place"), Step("other"));
        await Wait.ForAsync(h.Engine.WhenQuietAsync(CancellationToken.None), "both steps to requeue", Wait.Idle);
        Assert.Equal((UnitState.Waiting, UnitState.Waiting), (t.Find("place")!.State, t.Find("other")!.State));

        // Without the wake "place" would wait an hour.
        h.Engine.WakeWaiting("place");
        await Wait.UntilAsync(() => t.Find("place")!.State == UnitState.Done, "the woken step to run again");

        Assert.Equal((2, "placed"), (t.Find("place")!.Attempts, t.Find("place")!.Message));
        Assert.Equal((UnitState.Waiting, 1), (t.Find("other")!.State, t.Find("other")!.Attempts));
        Assert.Equal(1, h.Engine.ActiveCount);
    }

    [Fact]
    public async Task RetriesThatFallDueTogether_AllRunAgain()
    {
        // Several passes' worth of retries (a pass takes 256), all falling due at one tick of a fake
        // clock: none may be left waiting, none run twice.
        const int Count = 700;
        var calls = new System.Collections.Concurrent.ConcurrentDictionary<string, int>();
        var runner = new ScriptedRunner().On("watch", (invocation, _) => Task.FromResult(
            calls.AddOrUpdate(invocation.Transaction.Object.Name, 1, (_, n) => n + 1) == 1
                ? StepOutcome.Requeue(TimeSpan.FromMinutes(1), "not yet")
                : StepOutcome.Done("done")));
        var clock = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        await using var h = new EngineHarness(runner, time: clock);
        var started = h.Engine.StartMany([.. Enumerable.Range(0, Count).Select(i =>
            (new GitOrch.Core.Diagnostics.ObjectRef("Pod", "demo", $"p{i}"), (string?)"0123456789abcdef0123", (IReadOnlyList<Unit>)[Step("watch")]))]);
        await Wait.ForAsync(h.Engine.WhenQuietAsync(CancellationToken.None), "every step to requeue", Wait.Idle);
        Assert.All(started, t => Assert.Equal((UnitState.Waiting, 1), (t.Find("watch")!.State, t.Find("watch")!.Attempts)));

        clock.Advance(TimeSpan.FromMinutes(1) + TimeSpan.FromSeconds(1));

        await Wait.UntilAsync(() => started.All(t => t.Find("watch")!.State == UnitState.Done), "every retried step to run again");
        Assert.All(started, t => Assert.Equal(2, t.Find("watch")!.Attempts));
        Assert.All(calls.Values, n => Assert.Equal(2, n));
    }

    [Fact]
    public async Task WakeWaiting_ForObjects_RunsOnlyThoseObjectsSteps()
    {
        var calls = new System.Collections.Concurrent.ConcurrentDictionary<string, int>();
        var runner = new ScriptedRunner().On("watch", (invocation, _) => Task.FromResult(
            calls.AddOrUpdate(invocation.Transaction.Object.Name, 1, (_, n) => n + 1) == 1
                ? StepOutcome.Requeue(TimeSpan.FromHours(1), "pods not running yet")
                : StepOutcome.Done("pods run")));
        await using var h = new EngineHarness(runner);
        var web = new GitOrch.Core.Diagnostics.ObjectRef("PinnedDeployment", "demo", "web");
        var api = new GitOrch.Core.Diagnostics.ObjectRef("PinnedDeployment", "demo", "api");
        var webT = h.Engine.Start(web, "0123456789abcdef0123", [Step("watch")]);
        var apiT = h.Engine.Start(api, "0123456789abcdef0123", [Step("watch")]);
        await Wait.ForAsync(h.Engine.WhenQuietAsync(CancellationToken.None), "both steps to requeue", Wait.Idle);

        // Another owner's wake for api is asked first: the pass that serves web's wake has served it too.
        h.Engine.WakeWaiting("other-loop", [api]);
        h.Engine.WakeWaiting("watch", [web]);
        await Wait.UntilAsync(() => webT.Find("watch")!.State == UnitState.Done, "the woken object's step to run again");
        await Wait.ForAsync(h.Engine.WhenQuietAsync(CancellationToken.None), "the engine to settle", Wait.Idle);

        Assert.Equal(2, webT.Find("watch")!.Attempts);
        Assert.Equal((UnitState.Waiting, 1), (apiT.Find("watch")!.State, apiT.Find("watch")!.Attempts));
    }

    [Fact]
    public async Task WakeWaiting_LeavesARetryAfterAFailure_ToItsBackoff()
    {
        // A failed step waits out its backoff: a wake for what it waits for is no reason to spend
        // its next attempt at once (every pod report would otherwise use up its attempts in seconds).
        var calls = 0;
        var marks = 0;
        var runner = new ScriptedRunner()
            .On("watch", () => Interlocked.Increment(ref calls) == 1 ? StepOutcome.Failed("admission refused the write") : StepOutcome.Done("pods run"))
            .On("mark", () => Interlocked.Increment(ref marks) == 1 ? StepOutcome.Requeue(TimeSpan.FromHours(1), "not yet") : StepOutcome.Done("marked"));
        var options = new EngineOptions { RetryBase = TimeSpan.FromHours(1) };
        await using var h = new EngineHarness(runner, options);
        var t = h.Start(Step("watch", maxAttempts: 3));
        var marker = h.Engine.Start(new GitOrch.Core.Diagnostics.ObjectRef("Pod", "demo", "marker"), "0123456789abcdef0123", [Step("mark")]);
        await Wait.ForAsync(h.Engine.WhenQuietAsync(CancellationToken.None), "the step to fail once", Wait.Idle);
        Assert.Equal((UnitState.Waiting, 1), (t.Find("watch")!.State, t.Find("watch")!.Failures));

        h.Engine.WakeWaiting("watch", [EngineHarness.Pod]);
        h.Engine.WakeWaiting("watch");

        // A wake asked after them: once it has run the marker, the pass that served those two is done.
        h.Engine.WakeWaiting("mark", [marker.Object]);
        await Wait.UntilAsync(() => marker.Find("mark")!.State == UnitState.Done, "the marker's wake to be served");
        await Wait.ForAsync(h.Engine.WhenQuietAsync(CancellationToken.None), "the engine to settle", Wait.Idle);

        Assert.Equal((UnitState.Waiting, 1, 1), (t.Find("watch")!.State, t.Find("watch")!.Attempts, runner.CallsOf("watch")));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task AWakeWhileTheStepRuns_RunsItAgainAtOnce_WhenItAnswersNotYet(bool woken)
    {
        // The step read the state before the change that the wake announces: its "not yet" is stale,
        // and waiting out its delay would miss the change for an hour.
        var running = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var calls = 0;
        var runner = new ScriptedRunner().On("watch", async (_, _) =>
        {
            if (Interlocked.Increment(ref calls) > 1)
            {
                return StepOutcome.Done("pods run");
            }

            running.SetResult();
            await release.Task;
            return StepOutcome.Requeue(TimeSpan.FromHours(1), "pods not running yet");
        });
        await using var h = new EngineHarness(runner);
        var t = h.Start(Step("watch"));
        await Wait.ForAsync(running.Task, "the step to run", Wait.Idle);

        if (woken)
        {
            h.Engine.WakeWaiting("watch", [EngineHarness.Pod]);
            await Wait.UntilAsync(() => t.Find("watch")!.WokenWhileRunning, "the wake to reach the running step");
        }

        release.SetResult();
        await Wait.ForAsync(h.Engine.WhenQuietAsync(CancellationToken.None), "the engine to settle", Wait.Idle);

        var watch = t.Find("watch")!;
        Assert.Equal(woken ? (UnitState.Done, 2) : (UnitState.Waiting, 1), (watch.State, watch.Attempts));
        Assert.False(watch.WokenWhileRunning);
    }

    [Fact]
    public async Task ARequeuedOrRetriedStep_KeepsItsClock_FromItsFirstAttempt()
    {
        // "waiting for" in why is the time since the step left pending, the same span as its TOOK:
        // requeues and retries do not reset it.
        var since = new System.Collections.Concurrent.ConcurrentQueue<DateTimeOffset?>();
        var calls = 0;
        var runner = new ScriptedRunner().On("poll", (invocation, _) =>
        {
            since.Enqueue(invocation.Unit.Since);
            return Task.FromResult(Interlocked.Increment(ref calls) switch
            {
                1 or 2 => StepOutcome.Requeue(TimeSpan.FromMilliseconds(10), "not yet"),
                3 => StepOutcome.Failed("flake"),
                _ => StepOutcome.Done("ready"),
            });
        });
        await using var h = new EngineHarness(runner);

        var t = h.Start(Step("poll", maxAttempts: 2));
        await h.IdleAsync();

        var poll = t.Find("poll")!;
        Assert.Equal(UnitState.Done, poll.State);
        Assert.Equal([poll.StartedAt, poll.StartedAt, poll.StartedAt, poll.StartedAt], since);
        Assert.Equal(poll.EndedAt, poll.Since); // Done: a new state, its own clock.
    }

    [Fact]
    public async Task ARequeueAfterAFractionalMillisecondDelay_IsStillCalledAgain()
    {
        // Delays computed with jitter are never whole milliseconds; the step must run again after
        // each of them, however the timer rounds.
        var calls = 0;
        var runner = new ScriptedRunner().On("poll", () =>
            Interlocked.Increment(ref calls) <= 5 ? StepOutcome.Requeue(TimeSpan.FromMilliseconds(10.9), "not yet") : StepOutcome.Done("ready"));
        await using var h = new EngineHarness(runner);

        var t = h.Start(Step("poll"));
        await Wait.ForAsync(h.Engine.WhenIdleAsync(CancellationToken.None), "five requeues of 10.9 ms and a last call", TimeSpan.FromSeconds(5));

        Assert.Equal((UnitState.Done, "ready", 6), (t.Find("poll")!.State, t.Find("poll")!.Message, t.Find("poll")!.Attempts));
    }
}
