using GitOrch.Core.Diagnostics;
using GitOrch.Core.Manifests;
using GitOrch.Core.Tests.Support;

namespace GitOrch.Core.Tests.Validation;

/// <summary>Bugs found in review, each pinned by a test.</summary>
public class RegressionTests
{
    [Fact]
    public void TwoControlLoopsWithTheSameName_AreADuplicate_NotACrash()
    {
        const string loop = """
            apiVersion: gitorch.dev/v1
            kind: ControlLoop
            metadata: {name: backup}
            spec: {objectKinds: [Pod], step: {}, exec: {command: [/bin/true]}}
            """;
        var d = TestManifests.Validate(("a.yaml", loop), ("b.yaml", loop)).Single(DiagnosticCodes.DuplicateObject);
        Assert.Equal("b.yaml", d.File);
    }

    [Theory]
    [InlineData("/srv/data/../../etc")]
    [InlineData("/srv/data/./x")]
    [InlineData("/srv//data")]
    public void HostPathsWithDotSegments_AreRejected_AndNeverMatchAnException(string path)
    {
        var result = TestManifests.Validate($$$"""
            apiVersion: gitorch.dev/v1
            kind: Pod
            metadata: {name: p, namespace: demo}
            spec:
              volumes: [{name: d, hostPath: "{{{path}}}"}]
              containers: [{name: main, image: busybox:1.35}]
            ---
            apiVersion: gitorch.dev/v1
            kind: ClusterPolicy
            metadata: {name: cluster}
            spec: {security: {exceptions: [{namespaces: [demo], allow: ["hostPath:/srv/data"]}]}}
            """);
        Assert.False(result.IsValid);
        Assert.Contains(result.Diagnostics, d => d.Code == DiagnosticCodes.BadFormat && d.Message.Contains("plain absolute path", StringComparison.Ordinal));
        Assert.Contains(result.Diagnostics, d => d.Code == DiagnosticCodes.WeakeningWithoutException);
    }

    [Fact]
    public void NumbersInEnvAndSysctls_KeepTheTextTheyWereWrittenWith()
    {
        var result = TestManifests.Validate("""
            apiVersion: gitorch.dev/v1
            kind: Pod
            metadata: {name: p, namespace: demo}
            spec:
              containers:
                - name: main
                  image: busybox:1.35
                  env: {V: 1.10, O: 010, H: 0x1F, B: True, BIG: 123456789012345678901234}
            """);
        result.NoErrors();
        var env = ((Pod)result.Objects[0].Object).Spec.Containers[0].Env!;
        Assert.Equal(("1.10", "010", "0x1F", "True", "123456789012345678901234"), (env["V"], env["O"], env["H"], env["B"], env["BIG"]));
        Assert.Equal("1.10", (string?)result.Objects[0].Json["spec"]!["containers"]![0]!["env"]!["V"]);
    }

    [Fact]
    public void QuoteHint_UsesTheTextAsWritten()
    {
        var d = TestManifests.Validate("""
            apiVersion: gitorch.dev/v1
            kind: Target
            metadata: {name: t, labels: {version: 1.10}}
            """).Single(DiagnosticCodes.WrongType);
        Assert.Contains("(quote it: \"1.10\")", d.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AnUnknownCapability_IsReportedOnce()
    {
        var result = TestManifests.Validate("""
            apiVersion: gitorch.dev/v1
            kind: Pod
            metadata: {name: p, namespace: demo}
            spec:
              security: {capabilities: [CAP_FOO]}
              containers: [{name: main, image: busybox:1.35}]
            """);
        Assert.Single(result.Diagnostics);
        result.Single(DiagnosticCodes.BadFormat);
    }

    [Fact]
    public void AnOciImageWithoutATag_IsRejected() =>
        Assert.Contains("has no tag", TestManifests.Validate("""
            apiVersion: gitorch.dev/v1
            kind: Pod
            metadata: {name: p, namespace: demo}
            spec: {containers: [{name: main, image: busybox}]}
            """).Single(DiagnosticCodes.BadFormat).Message, StringComparison.Ordinal);

    [Fact]
    public void AnEmptyEmptyDir_WrittenWithNoValue_IsAccepted() =>
        TestManifests.Validate("""
            apiVersion: gitorch.dev/v1
            kind: Pod
            metadata: {name: p, namespace: demo}
            spec:
              volumes:
                - name: scratch
                  emptyDir:
              containers: [{name: main, image: busybox:1.35}]
            """).NoErrors();

    [Fact]
    public void AnUnclosedFlowMapping_IsReportedInsideTheFile()
    {
        var d = TestManifests.Validate("apiVersion: gitorch.dev/v1\nkind: Target\nmetadata: {name: a\n").Single(DiagnosticCodes.YamlSyntax);
        Assert.True(d.Line <= 3, d.ToString());
    }

    [Fact]
    public void ALoopWithoutHandler_IsToldToAddOne() =>
        Assert.Contains("add exec", TestManifests.Validate("""
            apiVersion: gitorch.dev/v1
            kind: ControlLoop
            metadata: {name: x}
            spec: {objectKinds: [Pod], step: {}}
            """).Single(DiagnosticCodes.Inconsistent).Message, StringComparison.Ordinal);
}
