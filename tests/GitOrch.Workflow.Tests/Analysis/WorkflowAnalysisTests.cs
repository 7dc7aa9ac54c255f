using GitOrch.Core.Diagnostics;
using GitOrch.Workflow.Analysis;
using GitOrch.Workflow.Model;
using static GitOrch.Workflow.Tests.Support.Units;

namespace GitOrch.Workflow.Tests.Analysis;

/// <summary>"Why is this pod not there yet?": the blocking unit, what waits on it, the long pole, and the graph.</summary>
public sealed class WorkflowAnalysisTests
{
    private static readonly DateTimeOffset T0 = new(2025, 3, 1, 12, 0, 0, TimeSpan.Zero);

    private static Transaction Txn(params Unit[] units) =>
        new() { Id = 7, Object = new ObjectRef("Pod", "demo", "web"), Commit = "abc", CreatedAt = T0, Units = units };

    private static Unit With(Unit unit, UnitState state, double? since = null, double? started = null, double? ended = null, string? message = null)
    {
        unit.State = state;
        unit.Since = since is null ? null : T0.AddSeconds(since.Value);
        unit.StartedAt = started is null ? null : T0.AddSeconds(started.Value);
        unit.EndedAt = ended is null ? null : T0.AddSeconds(ended.Value);
        unit.Message = message;
        return unit;
    }

    /// <summary>The built-in pod graph, every unit in the given state unless overridden.</summary>
    private static Transaction PodGraph(Func<string, UnitState> state) => Txn(
        With(Step("scheduler"), state("scheduler")),
        With(Target("scheduled.target", after: ["scheduler"], requires: ["scheduler"]), state("scheduled.target")),
        With(Step("ipam", after: ["scheduled.target"], requires: ["scheduled.target"]), state("ipam")),
        With(Step("image-pull", after: ["scheduled.target"], requires: ["scheduled.target"]), state("image-pull")),
        With(Target("network.target", after: ["ipam", "scheduled.target"], requires: ["scheduled.target", "ipam"]), state("network.target")),
        With(Target("storage.target", after: ["image-pull", "scheduled.target"], requires: ["scheduled.target", "image-pull"]), state("storage.target")),
        With(Step("runtime", after: ["network.target", "storage.target"], requires: ["network.target", "storage.target"]), state("runtime")),
        With(Target("running.target", after: ["network.target", "runtime", "storage.target"], requires: ["network.target", "storage.target", "runtime"]), state("running.target")));

    [Fact]
    public void Blocking_ForADependencyFailure_IsTheRootCause()
    {
        var t = Txn(
            With(Step("mount"), UnitState.Failed, message: "exited with code 2"),
            With(Target("storage.target", after: ["mount"], requires: ["mount"]), UnitState.DependencyFailed),
            With(Step("runtime", after: ["storage.target"], requires: ["storage.target"]), UnitState.DependencyFailed),
            With(Step("metrics"), UnitState.Running, since: 1));

        Assert.Equal("mount", WorkflowAnalysis.Blocking(t)!.Name);
    }

    [Fact]
    public void Blocking_ForAChainOfRequirements_FollowsItToTheUnitThatFailedFirst()
    {
        var t = Txn(
            With(Step("a"), UnitState.TimedOut),
            With(Step("b", requires: ["a"]), UnitState.DependencyFailed),
            With(Step("c", requires: ["b"]), UnitState.DependencyFailed));

        Assert.Equal("a", WorkflowAnalysis.Blocking(t)!.Name);
    }

    [Fact]
    public void Blocking_WithoutFailures_IsTheWaitingUnitAtTheFrontier()
    {
        var t = PodGraph(name => name is "scheduler" or "scheduled.target" or "ipam" or "network.target" ? UnitState.Done : UnitState.Waiting);

        Assert.Equal("image-pull", WorkflowAnalysis.Blocking(t)!.Name);
    }

    [Fact]
    public void Blocking_PrefersARunningStep_ThenTheOneThatHasBeenSoLongest()
    {
        var t = Txn(
            With(Step("retrying"), UnitState.Waiting, since: 0),
            With(Step("recent"), UnitState.Running, since: 5),
            With(Step("oldest"), UnitState.Running, since: 2),
            With(Step("later", after: ["oldest"]), UnitState.Waiting, since: 0));

        Assert.Equal("oldest", WorkflowAnalysis.Blocking(t)!.Name);
    }

    [Fact]
    public void Blocking_AFailureNothingRequires_IsNotTheBlocker_WhileSomethingElseIsInProgress()
    {
        var inProgress = Txn(
            With(Step("optional"), UnitState.Failed, message: "metrics down"),
            With(Step("main", after: ["optional"]), UnitState.Running, since: 1));
        var onlyFailureLeft = Txn(
            With(Step("optional"), UnitState.Failed, message: "metrics down"),
            With(Step("main", after: ["optional"]), UnitState.Done));

        Assert.Equal("main", WorkflowAnalysis.Blocking(inProgress)!.Name);
        Assert.Equal("optional", WorkflowAnalysis.Blocking(onlyFailureLeft)!.Name);
    }

    [Fact]
    public void Blocking_IsNullWhenEveryUnitIsDone() =>
        Assert.Null(WorkflowAnalysis.Blocking(PodGraph(_ => UnitState.Done)));

    [Fact]
    public void WaitingOn_ListsEveryUnfinishedUnitBehindTheBlocker_InOrder()
    {
        var t = PodGraph(name => name is "scheduler" or "scheduled.target" or "ipam" or "network.target" ? UnitState.Done : UnitState.Waiting);

        Assert.Equal(["storage.target", "runtime", "running.target"], WorkflowAnalysis.WaitingOn(t, t.Find("image-pull")!));
        Assert.Equal(["image-pull", "storage.target", "runtime", "running.target"], WorkflowAnalysis.WaitingOn(t, t.Find("scheduler")!));
    }

    [Fact]
    public void Ordered_IsATopologicalOrder_WithTiesByName()
    {
        var t = PodGraph(_ => UnitState.Waiting);

        Assert.Equal(
            ["scheduler", "scheduled.target", "image-pull", "ipam", "network.target", "storage.target", "runtime", "running.target"],
            WorkflowAnalysis.Ordered(t).Select(u => u.Name));
    }

    [Fact]
    public void CriticalChain_GoesBackFromRunningTarget_ThroughThePredecessorThatFinishedLast()
    {
        var t = Txn(
            With(Step("scheduler"), UnitState.Done, started: 0, ended: 2),
            With(Target("scheduled.target", after: ["scheduler"]), UnitState.Done, started: 2, ended: 2),
            With(Step("ipam", after: ["scheduled.target"]), UnitState.Done, started: 2, ended: 3),
            With(Step("image-pull", after: ["scheduled.target"]), UnitState.Done, started: 2, ended: 7),
            With(Target("network.target", after: ["ipam"]), UnitState.Done, started: 3, ended: 3),
            With(Target("storage.target", after: ["image-pull"]), UnitState.Done, started: 7, ended: 7),
            With(Step("runtime", after: ["network.target", "storage.target"]), UnitState.Done, started: 7, ended: 9.5),
            With(Target("running.target", after: ["runtime"]), UnitState.Done, started: 9.5, ended: 9.5),
            With(Step("audit", after: ["running.target"]), UnitState.Done, started: 9.5, ended: 12));

        var chain = WorkflowAnalysis.CriticalChain(t).Select(c => (c.Unit.Name, c.Start.TotalSeconds, c.Duration.TotalSeconds));

        Assert.Equal(
            [("scheduler", 0, 2), ("scheduled.target", 2, 0), ("image-pull", 2, 5), ("storage.target", 7, 0), ("runtime", 7, 2.5), ("running.target", 9.5, 0)],
            chain);
    }

    [Fact]
    public void CriticalChain_WithoutRunningTarget_EndsAtTheUnitThatFinishedLast()
    {
        var t = Txn(
            With(Step("scheduler"), UnitState.Done, started: 0, ended: 1),
            With(Step("ipam", after: ["scheduler"]), UnitState.Done, started: 1, ended: 4),
            With(Step("image-pull", after: ["scheduler"]), UnitState.Waiting, started: 1),
            With(Step("runtime", after: ["ipam", "image-pull"]), UnitState.Waiting));

        var chain = WorkflowAnalysis.CriticalChain(t).Select(c => (c.Unit.Name, c.Start.TotalSeconds, c.Duration.TotalSeconds));

        Assert.Equal([("scheduler", 0, 1), ("ipam", 1, 3)], chain);
    }

    [Fact]
    public void Dot_HasEveryUnitAsANode_ColouredByState_AndEveryOrderingRequirementAndWantEdge()
    {
        var t = Txn(
            With(Step("scheduler"), UnitState.Done),
            With(Target("scheduled.target", after: ["scheduler"], requires: ["scheduler"]), UnitState.Done),
            With(Step("mount", after: ["scheduled.target"], requires: ["vault"], wants: ["metrics"]), UnitState.Failed),
            With(Step("vault"), UnitState.Running),
            With(Step("metrics"), UnitState.Waiting));

        var dot = WorkflowAnalysis.Dot(t);

        Assert.StartsWith("digraph \"Pod/demo/web\" {\n", dot, StringComparison.Ordinal);
        Assert.EndsWith("}\n", dot, StringComparison.Ordinal);
        Assert.Contains("  label=\"Pod/demo/web — transaction 7 (active)\"; labelloc=t;\n", dot, StringComparison.Ordinal);
        Assert.Contains("  \"scheduler\" [shape=box, style=filled, fillcolor=palegreen, label=\"scheduler\\n(done)\"];\n", dot, StringComparison.Ordinal);
        Assert.Contains("  \"scheduled.target\" [shape=ellipse, style=filled, fillcolor=palegreen, label=\"scheduled.target\"];\n", dot, StringComparison.Ordinal);
        Assert.Contains("  \"mount\" [shape=box, style=filled, fillcolor=lightpink, label=\"mount\\n(failed)\"];\n", dot, StringComparison.Ordinal);
        Assert.Contains("  \"vault\" [shape=box, style=filled, fillcolor=lightskyblue, label=\"vault\\n(running)\"];\n", dot, StringComparison.Ordinal);
        Assert.Contains("  \"metrics\" [shape=box, style=filled, fillcolor=lightyellow, label=\"metrics\\n(waiting)\"];\n", dot, StringComparison.Ordinal);
        Assert.Contains("  \"scheduler\" -> \"scheduled.target\";\n", dot, StringComparison.Ordinal);
        Assert.Contains("  \"scheduled.target\" -> \"mount\";\n", dot, StringComparison.Ordinal);
        Assert.Contains("  \"mount\" -> \"vault\" [style=dashed, label=\"requires\", constraint=false];\n", dot, StringComparison.Ordinal);
        Assert.Contains("  \"mount\" -> \"metrics\" [style=dotted, label=\"wants\", constraint=false];\n", dot, StringComparison.Ordinal);

        // A requirement that coincides with an ordering edge is drawn too: both relations show.
        Assert.Contains("  \"scheduled.target\" -> \"scheduler\" [style=dashed, label=\"requires\", constraint=false];\n", dot, StringComparison.Ordinal);
        Assert.Equal(5, dot.Split('\n').Count(l => l.Contains(" [shape=", StringComparison.Ordinal)));
    }
}
