using System.Text.Json.Nodes;
using GitOrch.Core.Manifests;
using GitOrch.Core.Ownership;
using GitOrch.Core.Workflow;
using GitOrch.Workflow.Model;
using GitOrch.Workflow.Planning;

namespace GitOrch.Workflow.Tests.Planning;

/// <summary>A pod's transaction from the registry of loops and targets: built-in graph, selectors, pulled-in targets.</summary>
public sealed class TransactionPlannerTests
{
    private static Pod PodIn(string ns, Dictionary<string, string>? labels = null)
    {
        var metadata = new JsonObject { ["name"] = "web", ["namespace"] = ns };
        if (labels is not null)
        {
            metadata["labels"] = ManifestJson.ObjectOf(labels);
        }

        var json = new JsonObject
        {
            ["apiVersion"] = ManifestObject.ApiVersionV1,
            ["kind"] = Kinds.Pod,
            ["metadata"] = metadata,
            ["spec"] = new JsonObject { ["containers"] = new JsonArray(new JsonObject { ["name"] = "main", ["image"] = "busybox:1.35" }) },
        };
        return json.Bind<Pod>()!;
    }

    private static LoopDeclaration Loop(
        string name,
        StepPlacement step,
        LoopSelector? selector = null,
        string owns = "Pod:status.volumes") =>
        new(name, name + " loop", [Kinds.Pod], [FieldPath.Parse(owns)], [FieldPath.Parse("Pod:spec.volumes")], step, selector, null);

    private static UnitDeclaration TargetDeclaration(string name, string[]? before = null, string[]? after = null, string[]? requires = null, string[]? wants = null) =>
        new(name, UnitType.Target, null, new UnitOrdering(before ?? [], after ?? [], requires ?? [], wants ?? []), null);

    private static LoopSelector NfsInDemo => new() { Namespaces = ["demo"], Labels = new Dictionary<string, string> { ["storage"] = "nfs" } };

    private static StepPlacement BeforeStorage => new() { After = [BuiltInTargets.Scheduled], Before = [BuiltInTargets.Storage], TimeoutSeconds = 120, MaxAttempts = 2 };

    /// <summary>One line per unit: name, type, owner, after, requires, wants, timeout, max attempts.</summary>
    private static string Describe(Unit u) =>
        $"{u.Name} {(u.Type == UnitType.Target ? "target" : "step")} owner={u.Owner} after=[{string.Join(",", u.After)}] requires=[{string.Join(",", u.Requires)}] wants=[{string.Join(",", u.Wants)}] timeout={u.TimeoutSeconds} attempts={u.MaxAttempts}";

    [Fact]
    public void APod_GetsTheBuiltInTargetsAndSteps_WithTheirOrderingAndRequirementEdges()
    {
        var units = new TransactionPlanner(BuiltInLoops.All, BuiltInTargets.All).Plan(PodIn("demo"));

        Assert.Equal(
            [
                "image-pull step owner=image-pull after=[scheduled.target] requires=[scheduled.target] wants=[] timeout=300 attempts=3",
                "ipam step owner=ipam after=[scheduled.target] requires=[scheduled.target] wants=[] timeout=300 attempts=3",
                "network.target target owner=target after=[ipam,scheduled.target] requires=[scheduled.target,ipam] wants=[] timeout=0 attempts=1",
                "running.target target owner=target after=[network.target,runtime,storage.target] requires=[network.target,storage.target,runtime] wants=[] timeout=0 attempts=1",
                "runtime step owner=runtime after=[network.target,storage.target] requires=[network.target,storage.target] wants=[] timeout=300 attempts=3",
                "scheduled.target target owner=target after=[scheduler] requires=[scheduler] wants=[] timeout=0 attempts=1",
                "scheduler step owner=scheduler after=[] requires=[] wants=[] timeout=300 attempts=3",
                "storage.target target owner=target after=[image-pull,scheduled.target] requires=[scheduled.target,image-pull] wants=[] timeout=0 attempts=1",
            ],
            units.Select(Describe));
    }

    [Fact]
    public void TwoPodsUnits_ShareTheirNameLists_AndNothingElse()
    {
        // 10,000 pods' transactions hold one copy of each ordering list, not one per unit.
        var planner = new TransactionPlanner(BuiltInLoops.All, BuiltInTargets.All);
        var first = planner.Plan(PodIn("demo")).ToDictionary(u => u.Name);
        var second = planner.Plan(PodIn("other")).ToDictionary(u => u.Name);

        Assert.Equal(first.Keys, second.Keys);
        foreach (var (name, unit) in first)
        {
            Assert.Same(unit.After, second[name].After);
            Assert.Same(unit.Requires, second[name].Requires);
            Assert.NotSame(unit, second[name]);
        }

        Assert.Throws<NotSupportedException>(() => ((IList<string>)first["runtime"].After).Add("x"));
    }

    [Fact]
    public void OnePlanner_GivesEachShapeOfObjectItsOwnGraph_AndEveryObjectNewUnits()
    {
        // The planner keeps one plan per shape (selecting loops, pod or not, init containers): pods
        // of different shapes, planned in turn by the same planner, must each get their own graph,
        // and no two objects may share a unit (its state is the object's own).
        var planner = new TransactionPlanner([.. BuiltInLoops.All, Loop("nfs-mounts", BeforeStorage, NfsInDemo)], BuiltInTargets.All);
        Pod WithInits(string ns, Dictionary<string, string>? labels, params string[] inits)
        {
            var json = ManifestJson.ObjectOf(PodIn(ns, labels));
            json["spec"]!["initContainers"] = new JsonArray([.. inits.Select(n => (JsonNode)new JsonObject { ["name"] = n, ["image"] = "busybox:1.35" })]);
            return json.Bind<Pod>()!;
        }

        var nfs = new Dictionary<string, string> { ["storage"] = "nfs" };
        var expected = new List<(ManifestObject Obj, string[] Units)>
        {
            (PodIn("demo", nfs), ["image-pull", "ipam", "network.target", "nfs-mounts", "running.target", "runtime", "scheduled.target", "scheduler", "storage.target"]),
            (PodIn("other", nfs), ["image-pull", "ipam", "network.target", "running.target", "runtime", "scheduled.target", "scheduler", "storage.target"]),
            (WithInits("other", null, "migrate"), ["image-pull", "init:migrate", "ipam", "network.target", "running.target", "runtime", "scheduled.target", "scheduler", "storage.target"]),
            (WithInits("other", null, "seed"), ["image-pull", "init:seed", "ipam", "network.target", "running.target", "runtime", "scheduled.target", "scheduler", "storage.target"]),
            (WithInits("demo", nfs, "migrate", "seed"), ["image-pull", "init:migrate", "init:seed", "ipam", "network.target", "nfs-mounts", "running.target", "runtime", "scheduled.target", "scheduler", "storage.target"]),
        };

        var seen = new HashSet<Unit>(ReferenceEqualityComparer.Instance);
        for (var round = 0; round < 2; round++)
        {
            foreach (var (obj, names) in expected)
            {
                var units = planner.Plan(obj);
                Assert.Equal(names, units.Select(u => u.Name));
                Assert.Equal(new TransactionPlanner(planner.Loops, BuiltInTargets.All).Plan(obj).Select(Describe), units.Select(Describe)); // Edges, timeouts and owners too.
                Assert.All(units, u => Assert.True(seen.Add(u), $"{u.Name} was handed out before"));
                Assert.All(units, u => Assert.Equal(UnitState.Waiting, u.State));
            }
        }

        // A unit changed by its transaction leaves the next object's plan as it was.
        var first = planner.Plan(PodIn("demo", nfs));
        first[0].State = UnitState.Failed;
        first[0].Attempts = 3;
        var next = planner.Plan(PodIn("demo", nfs));
        Assert.Equal(Describe(first[0]), Describe(next[0]));
        Assert.Equal(UnitState.Waiting, next[0].State);
        Assert.Equal(0, next[0].Attempts);
    }

    [Fact]
    public void ManyShapes_AreKeptAtMostMaxShapesAtATime_AndTheShapesPlannedNowStayKept()
    {
        var planner = new TransactionPlanner(BuiltInLoops.All, BuiltInTargets.All);
        Pod WithInit(string name)
        {
            var json = ManifestJson.ObjectOf(PodIn("demo"));
            json["spec"]!["initContainers"] = new JsonArray(new JsonObject { ["name"] = name, ["image"] = "busybox:1.35" });
            return json.Bind<Pod>()!;
        }

        for (var i = 0; i < TransactionPlanner.MaxShapes + 10; i++)
        {
            Assert.Contains(planner.Plan(WithInit($"init-{i}")), u => u.Name == $"init:init-{i}");
            Assert.InRange(planner.ShapesKept, 1, TransactionPlanner.MaxShapes);
        }

        // The shapes of the pods planned since the last start-over are kept: planning a plain pod
        // twice adds its shape once, and it stays kept while the pods that follow are alike.
        var before = planner.ShapesKept;
        planner.Plan(PodIn("demo"));
        planner.Plan(PodIn("other"));
        Assert.Equal(before + 1, planner.ShapesKept);
    }

    [Fact]
    public void APodsInitContainers_AreOneStepEach_InOrder_AfterNetworkAndStorage_BeforeTheRuntimeStep()
    {
        var json = ManifestJson.ObjectOf(PodIn("demo"));
        json["spec"]!["initContainers"] = new JsonArray(
            new JsonObject { ["name"] = "migrate", ["image"] = "busybox:1.35" },
            new JsonObject { ["name"] = "seed", ["image"] = "busybox:1.35" });
        var pod = json.Bind<Pod>()!;

        var units = new TransactionPlanner(BuiltInLoops.All, BuiltInTargets.All).Plan(pod).ToDictionary(u => u.Name);

        Assert.Equal("init:migrate step owner=runtime after=[network.target,storage.target] requires=[network.target,storage.target] wants=[] timeout=300 attempts=3", Describe(units["init:migrate"]));
        Assert.Equal("init:seed step owner=runtime after=[init:migrate] requires=[init:migrate] wants=[] timeout=300 attempts=3", Describe(units["init:seed"]));
        Assert.Equal("runtime step owner=runtime after=[init:migrate,init:seed,network.target,storage.target] requires=[network.target,storage.target,init:seed] wants=[] timeout=300 attempts=3", Describe(units["runtime"]));
    }

    [Theory]
    [InlineData("demo", "nfs", true)]
    [InlineData("other", "nfs", false)]
    [InlineData("demo", "local", false)]
    [InlineData("demo", null, false)]
    public void AControlLoop_IsAStepOnlyForThePodsItsSelectorMatches(string ns, string? storageLabel, bool included)
    {
        var labels = storageLabel is null ? null : new Dictionary<string, string> { ["storage"] = storageLabel, ["app"] = "web" };
        var planner = new TransactionPlanner([.. BuiltInLoops.All, Loop("nfs-mounts", BeforeStorage, NfsInDemo)], BuiltInTargets.All);

        var units = planner.Plan(PodIn(ns, labels));

        var storage = units.Single(u => u.Name == BuiltInTargets.Storage);
        if (included)
        {
            Assert.Equal(
                "nfs-mounts step owner=nfs-mounts after=[scheduled.target] requires=[] wants=[] timeout=120 attempts=2",
                Describe(units.Single(u => u.Name == "nfs-mounts")));
            Assert.Equal(["image-pull", "nfs-mounts", "scheduled.target"], storage.After);
        }
        else
        {
            Assert.DoesNotContain(units, u => u.Name == "nfs-mounts");
            Assert.Equal(["image-pull", "scheduled.target"], storage.After);
        }

        Assert.Equal(included ? 9 : 8, units.Count);
    }

    [Fact]
    public void ALoopWithoutASelector_SelectsEveryPod()
    {
        var planner = new TransactionPlanner([.. BuiltInLoops.All, Loop("audit", new StepPlacement { After = [BuiltInTargets.Running] })], BuiltInTargets.All);

        var audit = planner.Plan(PodIn("anywhere")).Single(u => u.Name == "audit");

        Assert.Equal(["running.target"], audit.After);
    }

    [Fact]
    public void ACustomTargetReferencedByAStep_IsPulledIn_WithTheTargetsItReferences()
    {
        var auditor = Loop("auditor", new StepPlacement { Before = ["audited.target"] }, new LoopSelector { Labels = new Dictionary<string, string> { ["audit"] = "yes" } }, "Pod:status.audit");
        var targets = new List<UnitDeclaration>(BuiltInTargets.All)
        {
            TargetDeclaration("audited.target", before: ["reported.target"]),
            TargetDeclaration("reported.target"),
            TargetDeclaration("unrelated.target", after: ["elsewhere.target"]),
        };
        var planner = new TransactionPlanner([.. BuiltInLoops.All, auditor], targets);

        var selected = planner.Plan(PodIn("demo", new Dictionary<string, string> { ["audit"] = "yes" }));
        var other = planner.Plan(PodIn("demo"));

        Assert.Equal(
            "audited.target target owner=target after=[auditor] requires=[] wants=[] timeout=0 attempts=1",
            Describe(selected.Single(u => u.Name == "audited.target")));
        Assert.Equal(["audited.target"], selected.Single(u => u.Name == "reported.target").After);
        Assert.DoesNotContain(selected, u => u.Name == "unrelated.target");
        Assert.DoesNotContain(other, u => u.Name is "auditor" or "audited.target" or "reported.target" or "unrelated.target");
    }

    [Fact]
    public void ACustomTargetBetweenBuiltIns_IsPartOfEveryPodsGraph()
    {
        var targets = new List<UnitDeclaration>(BuiltInTargets.All) { TargetDeclaration("secrets.target", before: [BuiltInTargets.Running], after: [BuiltInTargets.Scheduled]) };

        var units = new TransactionPlanner(BuiltInLoops.All, targets).Plan(PodIn("demo"));

        Assert.Equal(["scheduled.target"], units.Single(u => u.Name == "secrets.target").After);
        Assert.Equal(["network.target", "runtime", "secrets.target", "storage.target"], units.Single(u => u.Name == BuiltInTargets.Running).After);
    }

    [Fact]
    public void ReferencesToUnitsOutsideTheGraph_AreDropped()
    {
        // storage.target extended to require a loop that selects only nfs pods, plus a step that
        // names targets and loops that are not in any pod's graph.
        var storage = BuiltInTargets.All.Single(t => t.Name == BuiltInTargets.Storage);
        var extended = storage with
        {
            Ordering = storage.Ordering with { Requires = [.. storage.Ordering.Requires, "mounter"], Wants = ["mounter"] },
        };
        var targets = BuiltInTargets.All.Select(t => t.Name == BuiltInTargets.Storage ? extended : t).ToList();
        var stray = Loop("stray", new StepPlacement { After = [BuiltInTargets.Scheduled, "nowhere.target"], Requires = ["ghost"], Wants = ["mounter"] }, owns: "Pod:status.stray");
        var planner = new TransactionPlanner([.. BuiltInLoops.All, Loop("mounter", BeforeStorage, NfsInDemo), stray], targets);

        var plain = planner.Plan(PodIn("demo"));
        var nfs = planner.Plan(PodIn("demo", new Dictionary<string, string> { ["storage"] = "nfs" }));

        Assert.Equal(["scheduled.target", "image-pull"], plain.Single(u => u.Name == BuiltInTargets.Storage).Requires);
        Assert.Empty(plain.Single(u => u.Name == BuiltInTargets.Storage).Wants);
        Assert.Equal(
            "stray step owner=stray after=[scheduled.target] requires=[] wants=[] timeout=300 attempts=3",
            Describe(plain.Single(u => u.Name == "stray")));
        Assert.Equal(["scheduled.target", "image-pull", "mounter"], nfs.Single(u => u.Name == BuiltInTargets.Storage).Requires);
        Assert.Equal(["mounter"], nfs.Single(u => u.Name == "stray").Wants);
    }

    [Fact]
    public void APinnedDeployment_HasNoPodTargets_OnlyTheStepsOfLoopsForItsKind()
    {
        var json = ManifestJson.Parse("""
            {"apiVersion": "gitorch.dev/v1", "kind": "PinnedDeployment", "metadata": {"name": "web", "namespace": "demo"},
             "spec": {"replicas": 1, "percentNext": 0, "previous": {"spec": {"containers": [{"name": "main", "image": "a:1"}]}},
                      "next": {"spec": {"containers": [{"name": "main", "image": "a:2"}]}}}}
            """);
        var deployment = json.Bind<PinnedDeployment>()!;

        var units = new TransactionPlanner(BuiltInLoops.All, BuiltInTargets.All).Plan(deployment);

        Assert.Equal(["pinned-deployment step owner=pinned-deployment after=[] requires=[] wants=[] timeout=300 attempts=3"], units.Select(Describe));
    }
}
