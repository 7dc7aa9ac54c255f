using GitOrch.Core.Diagnostics;
using GitOrch.Core.Tests.Support;

namespace GitOrch.Core.Tests.Validation;

public class OwnershipRulesTests
{
    private static string Loop(string name, string owns, string reads = "[]", string kinds = "[Pod]", string extra = "") => $$"""
        apiVersion: gitorch.dev/v1
        kind: ControlLoop
        metadata: {name: {{name}}}
        spec:
          objectKinds: {{kinds}}
          step: {after: [scheduled.target], before: [running.target]}
          owns: {{owns}}
          reads: {{reads}}
          exec: {command: [/bin/true]}
        {{extra}}
        """;

    private const string PodWithStatus = """
        apiVersion: gitorch.dev/v1
        kind: Pod
        metadata: {name: p, namespace: demo}
        spec:
          containers: [{name: main, image: busybox:1.35}]
        status:
          phase: Running
          nodeName: node-a
        """;

    [Fact]
    public void BuiltInLoops_AloneAreConsistent() => Assert.Empty(TestManifests.Validate(Array.Empty<(string, string)>()).Diagnostics);

    [Fact]
    public void Rejects_OverlappingOwnership_BetweenTwoLoops_NamingBoth()
    {
        var result = TestManifests.Validate(("a.yaml", Loop("nfs", "[\"Pod:status.volumes\"]")), ("b.yaml", Loop("iscsi", "[\"Pod:status.volumes[*].ready\"]")));
        var d = result.Single(DiagnosticCodes.OwnershipOverlap);
        Assert.Contains("nfs", d.Message, StringComparison.Ordinal);
        Assert.Contains("iscsi", d.Message, StringComparison.Ordinal);
        Assert.Equal(7, d.Line);
    }

    [Fact]
    public void Rejects_AClaimOnABuiltInLoopsField_NamingTheBuiltIn()
    {
        var d = TestManifests.Validate(Loop("my-scheduler", "[\"Pod:status.nodeName\"]")).Single(DiagnosticCodes.ClaimsBuiltInField);
        Assert.Contains("built-in loop scheduler", d.Message, StringComparison.Ordinal);
        Assert.Equal((7, 10), (d.Line, d.Column));
    }

    [Fact]
    public void Rejects_AClaimOnAParentOfABuiltInField()
    {
        var d = TestManifests.Validate(Loop("greedy", "[\"Pod:status\"]")).Diagnostics.First(x => x.Code == DiagnosticCodes.ClaimsBuiltInField);
        Assert.Contains("Pod:status", d.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Rejects_StatusInGit_NamingTheOwnerOfEachField()
    {
        var result = TestManifests.Validate(PodWithStatus);
        var errors = result.Diagnostics.Where(d => d.Code == DiagnosticCodes.SetsLoopOwnedField).ToList();
        Assert.Equal(2, errors.Count);
        Assert.Contains(errors, d => d.Line == 7 && d.Message.Contains("control loop runtime", StringComparison.Ordinal));
        Assert.Contains(errors, d => d.Line == 8 && d.Message.Contains("control loop scheduler", StringComparison.Ordinal));
    }

    [Fact]
    public void Rejects_AStatusFieldNoLoopOwns_AtTheStatusKey()
    {
        var d = TestManifests.Validate(PodWithStatus.Replace("  phase: Running\n  nodeName: node-a", "  custom: 1", StringComparison.Ordinal))
            .Single(DiagnosticCodes.SetsLoopOwnedField);
        Assert.Equal((6, 1), (d.Line, d.Column));
    }

    [Fact]
    public void Rejects_ASpecFieldOwnedByACustomLoop_OnlyForObjectsItSelects()
    {
        var loop = Loop("image-pinner", "[\"Pod:spec.containers[*].image\"]") + "  selector: {labels: {pin: \"yes\"}}\n";
        var selected = """
            apiVersion: gitorch.dev/v1
            kind: Pod
            metadata: {name: a, namespace: demo, labels: {pin: "yes"}}
            spec:
              containers: [{name: main, image: busybox:1.35}]
            """;
        var other = selected.Replace("name: a", "name: b", StringComparison.Ordinal).Replace("pin: \"yes\"", "pin: \"no\"", StringComparison.Ordinal);
        var result = TestManifests.Validate(("loop.yaml", loop), ("a.yaml", selected), ("b.yaml", other));
        var d = result.Single(DiagnosticCodes.SetsLoopOwnedField);
        Assert.Equal(("a.yaml", 5), (d.File, d.Line));
        Assert.Contains("control loop image-pinner", d.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Rejects_AReadWriteCycle_ListingIt()
    {
        var result = TestManifests.Validate(
            ("a.yaml", Loop("alpha", "[\"Pod:status.a\"]", "[\"Pod:status.b\"]")),
            ("b.yaml", Loop("beta", "[\"Pod:status.b\"]", "[\"Pod:status.a\"]")));
        var d = result.Single(DiagnosticCodes.ReadWriteCycle);
        Assert.Contains("alpha → beta → alpha", d.Message, StringComparison.Ordinal);
        Assert.Contains("alpha writes Pod:status.a, read by beta", d.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Accepts_AChainWithoutACycle() =>
        TestManifests.Validate(
            ("a.yaml", Loop("alpha", "[\"Pod:status.a\"]", "[\"Pod:status.nodeName\"]")),
            ("b.yaml", Loop("beta", "[\"Pod:status.b\"]", "[\"Pod:status.a\"]"))).NoErrors();

    [Fact]
    public void Rejects_APodManifest_ThatAPinnedDeploymentGenerates()
    {
        var pd = """
            apiVersion: gitorch.dev/v1
            kind: PinnedDeployment
            metadata: {name: web, namespace: demo}
            spec:
              replicas: 5
              percentNext: 0
              previous: {spec: {containers: [{name: main, image: busybox:1.35}]}}
              next: {spec: {containers: [{name: main, image: busybox:1.35}]}}
            """;
        var pod = """
            apiVersion: gitorch.dev/v1
            kind: Pod
            metadata: {name: web-3, namespace: demo}
            spec: {containers: [{name: main, image: busybox:1.35}]}
            """;
        var d = TestManifests.Validate(("pd.yaml", pd), ("pod.yaml", pod)).Single(DiagnosticCodes.GeneratedObjectInGit);
        Assert.Equal(("pod.yaml", 3, 12), (d.File, d.Line, d.Column));
        Assert.Contains("PinnedDeployment demo/web", d.Message, StringComparison.Ordinal);
        TestManifests.Validate(("pd.yaml", pd), ("pod.yaml", pod.Replace("web-3", "web-5", StringComparison.Ordinal))).NoErrors();
    }

    [Theory]
    [InlineData("[\"Pod:volumes\"]", "starts with metadata, spec or status")]
    [InlineData("[\"Widget:status.x\"]", "does not exist")]
    [InlineData("[\"PinnedDeployment:status.x\"]", "handles only [Pod]")]
    [InlineData("[\"Pod:status.a[0]\"]", "not a field name")]
    public void Rejects_MalformedFieldPaths(string owns, string messagePart)
    {
        var d = TestManifests.Validate(Loop("x", owns)).Single(DiagnosticCodes.BadFieldPath);
        Assert.Contains(messagePart, d.Message, StringComparison.Ordinal);
        Assert.Equal(7, d.Line);
    }

    [Fact]
    public void Rejects_AFieldPathWithoutKind_AlreadyInTheSchema()
    {
        var d = TestManifests.Validate(Loop("x", "[\"status.volumes\"]")).Single(DiagnosticCodes.BadFormat);
        Assert.Contains("a field path such as Pod:status.volumes", d.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Rejects_ALoopNamedLikeABuiltIn() =>
        Assert.Equal(3, TestManifests.Validate(Loop("scheduler", "[]")).Single(DiagnosticCodes.ReservedLoopName).Line);

    [Fact]
    public void Rejects_ALoopWithBothHandlers() =>
        TestManifests.Validate(Loop("x", "[]", extra: "  http: {url: \"http://127.0.0.1:9/\"}")).Single(DiagnosticCodes.Inconsistent);
}
