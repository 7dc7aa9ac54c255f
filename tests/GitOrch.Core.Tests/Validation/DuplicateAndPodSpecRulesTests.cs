using GitOrch.Core.Diagnostics;
using GitOrch.Core.Tests.Support;

namespace GitOrch.Core.Tests.Validation;

public class DuplicateAndPodSpecRulesTests
{
    private static string Pod(string name, string spec) => $$"""
        apiVersion: gitorch.dev/v1
        kind: Pod
        metadata: {name: {{name}}, namespace: demo}
        spec:
        {{spec}}
        """;

    [Fact]
    public void Rejects_TheSameObjectTwice_NamingBothPlaces()
    {
        var pod = Pod("web", "  containers: [{name: main, image: busybox:1.35}]");
        var d = TestManifests.Validate(("a.yaml", pod), ("b.yaml", pod)).Single(DiagnosticCodes.DuplicateObject);
        Assert.Equal(("b.yaml", 3, 12), (d.File, d.Line, d.Column));
        Assert.Contains("a.yaml:3:12", d.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Accepts_TheSameNameInTwoNamespaces()
    {
        var pod = Pod("web", "  containers: [{name: main, image: busybox:1.35}]");
        TestManifests.Validate(("a.yaml", pod), ("b.yaml", pod.Replace("demo", "prod", StringComparison.Ordinal))).NoErrors();
    }

    [Theory]
    [InlineData("  containers: [{name: main, image: busybox:1.35}, {name: main, image: busybox:1.35}]", DiagnosticCodes.DuplicateName, "container name \"main\"")]
    [InlineData("  containers: [{name: main}]", DiagnosticCodes.MissingField, "needs an image")]
    [InlineData("  runtime: process\n  containers: [{name: main}]", DiagnosticCodes.MissingField, "needs a command")]
    [InlineData("  containers: [{name: main, image: busybox:1.35, ports: [{name: http}]}]", DiagnosticCodes.MissingField, "needs a port number")]
    [InlineData("  containers: [{name: main, image: busybox:1.35, ports: [{name: http, port: 1}, {name: http, port: 2}]}]", DiagnosticCodes.DuplicateName, "port name \"http\"")]
    [InlineData("  volumes: [{name: v}]\n  containers: [{name: main, image: busybox:1.35}]", DiagnosticCodes.Inconsistent, "exactly one of emptyDir or hostPath")]
    [InlineData("  volumes: [{name: v, emptyDir: {}}, {name: v, emptyDir: {}}]\n  containers: [{name: main, image: busybox:1.35}]", DiagnosticCodes.DuplicateName, "volume name \"v\"")]
    [InlineData("  containers: [{name: main, image: busybox:1.35, volumeMounts: [{name: nope, mountPath: /x}]}]", DiagnosticCodes.Inconsistent, "does not define")]
    [InlineData("  security: {capabilities: [NOT_A_CAP]}\n  containers: [{name: main, image: busybox:1.35}]", DiagnosticCodes.BadFormat, "not a Linux capability")]
    public void Rejects_InconsistentPodSpecs(string spec, string code, string messagePart)
    {
        var d = TestManifests.Validate(Pod("p", spec)).Single(code);
        Assert.Contains(messagePart, d.Message, StringComparison.Ordinal);
        Assert.True(d.Line >= 5, d.ToString());
    }

    [Fact]
    public void Accepts_AProcessPod_WithUnnumberedPorts_AndNoImage()
    {
        var result = TestManifests.Validate(
            Pod("p", "  runtime: process\n  containers: [{name: main, command: [sleep, \"1\"], ports: [{name: http}]}]"),
            """
            apiVersion: gitorch.dev/v1
            kind: ClusterPolicy
            metadata: {name: cluster}
            spec: {security: {exceptions: [{namespaces: [demo], allow: ["runtime:process"]}]}}
            """);
        result.NoErrors();
    }

    [Fact]
    public void Rejects_APinnedDeployment_WhosePodNamesWouldBeTooLong()
    {
        var name = new string('a', 62);
        var d = TestManifests.Validate($$$"""
            apiVersion: gitorch.dev/v1
            kind: PinnedDeployment
            metadata: {name: {{{name}}}, namespace: demo}
            spec:
              replicas: 10
              percentNext: 0
              previous: {spec: {containers: [{name: main, image: busybox:1.35}]}}
              next: {spec: {containers: [{name: main, image: busybox:1.35}]}}
            """).Single(DiagnosticCodes.OutOfRange);
        Assert.Contains("longer than 63", d.Message, StringComparison.Ordinal);
    }
}
