using GitOrch.Core.Diagnostics;
using GitOrch.Core.Tests.Support;

namespace GitOrch.Core.Tests.Validation;

public class WorkflowRulesTests
{
    private static string Target(string name, string after = "[]", string before = "[]", string requires = "[]", string wants = "[]") => $$"""
        apiVersion: gitorch.dev/v1
        kind: Target
        metadata: {name: {{name}}}
        spec:
          after: {{after}}
          before: {{before}}
          requires: {{requires}}
          wants: {{wants}}
        """;

    [Fact]
    public void Accepts_ACustomTarget_BetweenBuiltIns() =>
        TestManifests.Validate(Target("secrets.target", after: "[scheduled.target]", before: "[running.target]")).NoErrors();

    [Theory]
    [InlineData("[missing.target]", "[]", 7, 14)]
    [InlineData("[]", "[missing.target]", 8, 11)]
    public void Rejects_AReferenceToAMissingUnit_NamingIt(string requires, string wants, int line, int column)
    {
        var d = TestManifests.Validate(Target("x.target", requires: requires, wants: wants)).Single(DiagnosticCodes.MissingUnit);
        Assert.Equal((line, column), (d.Line, d.Column));
        Assert.Contains("\"missing.target\"", d.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Suggests_TheClosestUnit_ForATypo()
    {
        var d = TestManifests.Validate(Target("x.target", after: "[sheduled.target]")).Single(DiagnosticCodes.MissingUnit);
        Assert.Contains("did you mean \"scheduled.target\"?", d.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Rejects_AnOrderingCycle_ListingIt()
    {
        var result = TestManifests.Validate(
            ("a.yaml", Target("a.target", after: "[b.target]")),
            ("b.yaml", Target("b.target", after: "[a.target]")));
        var d = result.Single(DiagnosticCodes.OrderingCycle);
        Assert.Contains("a.target → b.target → a.target", d.Message, StringComparison.Ordinal);
        Assert.Equal("a.yaml", d.File);
    }

    [Fact]
    public void Rejects_ACycleThroughBuiltInTargets()
    {
        // running.target is after network.target, which is after scheduled.target: ordering a
        // target before scheduled.target but after running.target closes a loop.
        var d = TestManifests.Validate(Target("loop.target", after: "[running.target]", before: "[scheduled.target]"))
            .Single(DiagnosticCodes.OrderingCycle);
        Assert.Contains("scheduled.target", d.Message, StringComparison.Ordinal);
        Assert.Contains("loop.target", d.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Rejects_ACycleThroughAStep()
    {
        var loop = """
            apiVersion: gitorch.dev/v1
            kind: ControlLoop
            metadata: {name: mounter}
            spec:
              objectKinds: [Pod]
              step: {after: [running.target], before: [storage.target]}
              exec: {command: [/bin/true]}
            """;
        var d = TestManifests.Validate(loop).Single(DiagnosticCodes.OrderingCycle);
        Assert.Contains("mounter", d.Message, StringComparison.Ordinal);
        Assert.Equal((6, 3), (d.Line, d.Column));
    }

    [Fact]
    public void RequiresWithoutOrdering_IsNotACycle() =>
        TestManifests.Validate(("a.yaml", Target("a.target", requires: "[b.target]")), ("b.yaml", Target("b.target", requires: "[a.target]"))).NoErrors();

    [Fact]
    public void Accepts_AGitTargetThatExtendsABuiltIn_LikeTheDesignExample() =>
        TestManifests.Validate("""
            apiVersion: gitorch.dev/v1
            kind: Target
            metadata: {name: storage.target}
            spec: {description: Volumes are ready, after: [scheduled.target], before: [running.target], requires: [], wants: []}
            """).NoErrors();

    [Fact]
    public void Checks_TheAdditionsOfAnExtendedBuiltIn_AtTheirOwnPositions()
    {
        var result = TestManifests.Validate(Target("running.target", after: "[nope.target]"));
        var d = result.Single(DiagnosticCodes.MissingUnit);
        Assert.Equal((5, 11), (d.Line, d.Column));
    }

    [Fact]
    public void Rejects_AnExtensionThatMakesTheBuiltInsCyclic() =>
        TestManifests.Validate(Target("scheduled.target", after: "[running.target]")).Single(DiagnosticCodes.OrderingCycle);

    [Fact]
    public void Rejects_ATargetAndALoopWithTheSameName()
    {
        var loop = """
            apiVersion: gitorch.dev/v1
            kind: ControlLoop
            metadata: {name: shared}
            spec: {objectKinds: [Pod], step: {}, exec: {command: [/bin/true]}}
            """;
        TestManifests.Validate(("l.yaml", loop), ("t.yaml", Target("shared"))).Single(DiagnosticCodes.ReservedUnitName);
    }

    [Fact]
    public void Rejects_AUnitThatNamesItself() =>
        TestManifests.Validate(Target("a.target", after: "[a.target]")).Single(DiagnosticCodes.SelfReference);
}
