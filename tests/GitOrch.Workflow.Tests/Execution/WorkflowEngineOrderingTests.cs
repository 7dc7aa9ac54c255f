using GitOrch.Workflow.Execution;
using GitOrch.Workflow.Model;
using GitOrch.Workflow.Tests.Support;
using static GitOrch.Workflow.Tests.Support.Steps;
using static GitOrch.Workflow.Tests.Support.Units;

namespace GitOrch.Workflow.Tests.Execution;

/// <summary>Ordering, requirement and targets: systemd semantics of the engine, with loops scripted in the test, on a real SQLite store.</summary>
public sealed class WorkflowEngineOrderingTests
{
    // ---- ordering ----------------------------------------------------------------------------

    [Fact]
    public async Task Ordering_AUnitStartsOnlyAfterEveryUnitOrderedBeforeItHasFinished()
    {
        var runner = new ScriptedRunner();
        foreach (var name in new[] { "a", "b", "c", "d", "e" })
        {
            runner.On(name, Yielding("did " + name));
        }

        await using var h = new EngineHarness(runner);

        // A diamond and a tail: a → {b, c} → d → e. Listed out of order on purpose.
        var t = h.Start(Step("e", after: ["d"]), Step("d", after: ["b", "c"]), Step("c", after: ["a"]), Step("b", after: ["a"]), Step("a"));
        await h.IdleAsync();

        Assert.All(t.Units, u => Assert.Equal(UnitState.Done, u.State));
        Assert.Equal("done", t.State);
        var started = runner.Started.ToArray();
        Assert.Equal(5, started.Length);
        Assert.Equal("a", started[0]);
        Assert.Equal(["b", "c"], started[1..3].Order(StringComparer.Ordinal));
        Assert.Equal(["d", "e"], started[3..]);

        // When each unit started, every unit ordered before it had finished.
        var finishedAtStart = runner.Calls.ToDictionary(c => c.Unit, c => c.FinishedBefore);
        Assert.Empty(finishedAtStart["a"]);
        Assert.Subset(finishedAtStart["b"].ToHashSet(), new HashSet<string> { "a" });
        Assert.Subset(finishedAtStart["c"].ToHashSet(), new HashSet<string> { "a" });
        Assert.Subset(finishedAtStart["d"].ToHashSet(), new HashSet<string> { "a", "b", "c" });
        Assert.Subset(finishedAtStart["e"].ToHashSet(), new HashSet<string> { "a", "b", "c", "d" });
        Assert.DoesNotContain("e", finishedAtStart["d"]);
    }

    [Fact]
    public async Task Ordering_AUnitWaitsForAnUnfinishedPredecessor_EvenWhenAnotherPredecessorIsDone()
    {
        var slowGate = Signal();
        var runner = new ScriptedRunner()
            .On("fast", () => StepOutcome.Done("fast done"))
            .On("slow", Gated(slowGate, "slow done"))
            .On("join", () => StepOutcome.Done("joined"));
        await using var h = new EngineHarness(runner);

        var t = h.Start(Step("fast"), Step("slow"), Step("join", after: ["fast", "slow"]));
        await Wait.UntilAsync(() => t.Find("fast")!.State == UnitState.Done, "fast is done");

        Assert.Equal(UnitState.Waiting, t.Find("join")!.State);
        slowGate.SetResult();
        await h.IdleAsync();

        Assert.Equal(UnitState.Done, t.Find("join")!.State);
        var finishedAtJoin = runner.Calls.Single(c => c.Unit == "join").FinishedBefore;
        Assert.Contains("fast", finishedAtJoin);
        Assert.Contains("slow", finishedAtJoin);
    }

    [Fact]
    public async Task Requires_WithoutOrdering_RunsBothUnitsAtTheSameTime()
    {
        var aRunning = Signal();
        var bRunning = Signal();

        // Each loop finishes only once it has seen the other one running: they must overlap.
        var runner = new ScriptedRunner()
            .On("a", async (_, ct) =>
            {
                aRunning.TrySetResult();
                await bRunning.Task.WaitAsync(Wait.Overlap, ct);
                return StepOutcome.Done("a saw b running");
            })
            .On("b", async (_, ct) =>
            {
                bRunning.TrySetResult();
                await aRunning.Task.WaitAsync(Wait.Overlap, ct);
                return StepOutcome.Done("b saw a running");
            });
        await using var h = new EngineHarness(runner);

        var t = h.Start(Step("a", requires: ["b"]), Step("b"));
        await h.IdleAsync();

        Assert.Equal((UnitState.Done, "a saw b running"), (t.Find("a")!.State, t.Find("a")!.Message));
        Assert.Equal((UnitState.Done, "b saw a running"), (t.Find("b")!.State, t.Find("b")!.Message));
    }

    // ---- requirement -------------------------------------------------------------------------

    [Fact]
    public async Task AFailedRequiredUnit_FailsItsDependentsTransitively_AndCancelsARunningDependent()
    {
        var dRunning = Signal();
        var dCancelled = Signal();
        var runner = new ScriptedRunner()
            .On("a", async (_, ct) =>
            {
                await dRunning.Task.WaitAsync(Wait.Overlap, ct);
                return StepOutcome.Failed("disk full");
            })
            .On("d", ScriptedRunner.UntilCancelled(dRunning, dCancelled))
            .On("b", () => StepOutcome.Done("must not run"))
            .On("c", () => StepOutcome.Done("must not run"));
        await using var h = new EngineHarness(runner);

        var t = h.Start(
            Step("a"),
            Step("b", after: ["a"], requires: ["a"]),
            Step("c", after: ["b"], requires: ["b"]),
            Step("d", requires: ["a"]));
        await h.IdleAsync();
        await Wait.ForAsync(dCancelled.Task, "the running dependent d to be cancelled");

        Assert.Equal((UnitState.Failed, "disk full"), (t.Find("a")!.State, t.Find("a")!.Message));
        Assert.Equal((UnitState.DependencyFailed, "required unit a is failed: disk full"), (t.Find("b")!.State, t.Find("b")!.Message));
        Assert.Equal(
            (UnitState.DependencyFailed, "required unit b is dependency-failed: required unit a is failed: disk full"),
            (t.Find("c")!.State, t.Find("c")!.Message));
        Assert.Equal((UnitState.DependencyFailed, "required unit a is failed: disk full"), (t.Find("d")!.State, t.Find("d")!.Message));
        Assert.Equal(0, runner.CallsOf("b"));
        Assert.Equal(0, runner.CallsOf("c"));
        Assert.Equal("failed", t.State);
    }

    [Fact]
    public async Task AFailedWantedUnit_DoesNotFailTheUnitThatWantsIt()
    {
        var runner = new ScriptedRunner()
            .On("optional", () => StepOutcome.Failed("metrics endpoint down"))
            .On("main", () => StepOutcome.Done("started anyway"));
        await using var h = new EngineHarness(runner);

        var t = h.Start(Step("optional"), Step("main", after: ["optional"], wants: ["optional"]));
        await h.IdleAsync();

        Assert.Equal((UnitState.Failed, "metrics endpoint down"), (t.Find("optional")!.State, t.Find("optional")!.Message));
        Assert.Equal((UnitState.Done, "started anyway"), (t.Find("main")!.State, t.Find("main")!.Message));
        Assert.Equal(1, runner.CallsOf("main"));
    }

    [Fact]
    public async Task OrderingAlone_DoesNotPropagateFailure()
    {
        var runner = new ScriptedRunner()
            .On("first", () => StepOutcome.Failed("broken"))
            .On("second", () => StepOutcome.Done("ran after a failed predecessor"));
        await using var h = new EngineHarness(runner);

        var t = h.Start(Step("first"), Step("second", after: ["first"]));
        await h.IdleAsync();

        Assert.Equal(UnitState.Failed, t.Find("first")!.State);
        Assert.Equal((UnitState.Done, "ran after a failed predecessor"), (t.Find("second")!.State, t.Find("second")!.Message));
    }

    // ---- targets ---------------------------------------------------------------------------

    [Fact]
    public async Task Targets_AreReachedAsSoonAsTheyMayStart_WithoutCallingALoop()
    {
        var gate = Signal();
        var runner = new ScriptedRunner().On("place", Gated(gate, "placed"));
        await using var h = new EngineHarness(runner);

        var t = h.Start(Target("first.target"), Step("place", after: ["first.target"]), Target("placed.target", after: ["place"], requires: ["place"]));

        // first.target has nothing before it: reached within Start, before any step ran.
        Assert.Equal((UnitState.Done, "reached"), (t.Find("first.target")!.State, t.Find("first.target")!.Message));
        Assert.Equal(UnitState.Waiting, t.Find("placed.target")!.State);
        gate.SetResult();
        await h.IdleAsync();

        var placed = t.Find("placed.target")!;
        Assert.Equal((UnitState.Done, "reached", 0), (placed.State, placed.Message, placed.Attempts));
        Assert.NotNull(placed.StartedAt);
        Assert.NotNull(placed.EndedAt);
        Assert.Equal(["place"], runner.Started.ToArray());
    }
}
