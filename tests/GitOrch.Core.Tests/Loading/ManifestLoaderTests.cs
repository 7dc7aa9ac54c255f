using GitOrch.Core.Diagnostics;
using GitOrch.Core.Loading;
using GitOrch.Core.Manifests;
using GitOrch.Core.Tests.Support;

namespace GitOrch.Core.Tests.Loading;

public class ManifestLoaderTests
{
    private const string Pod = """
        apiVersion: gitorch.dev/v1
        kind: Pod
        metadata: {name: web, namespace: demo, labels: {version: "1.16"}}
        spec:
          runtime: oci
          availability: ha
          restartPolicy: OnFailure
          containers:
            - name: main
              image: busybox:1.35
              env: {PORT: 8080, DEBUG: true, RATIO: 0.5, NAME: x}
              resources: {cpu: 1, memory: 64Mi}
        """;

    [Fact]
    public void Binds_APod_ToItsRecord()
    {
        var result = TestManifests.Validate(Pod);
        result.NoErrors();
        var pod = Assert.IsType<Pod>(Assert.Single(result.Objects).Object);
        Assert.Equal(new ObjectRef("Pod", "demo", "web"), pod.Ref);
        Assert.Equal(Availability.Ha, pod.Spec.Availability);
        Assert.Equal(RestartPolicy.OnFailure, pod.Spec.RestartPolicy);
        Assert.Equal("1.16", pod.Metadata.Labels!["version"]);
        Assert.Equal(30, pod.Spec.TerminationGracePeriodSeconds);
    }

    [Fact]
    public void Binds_EnvNumbersAndBooleans_AsYamlWritesThem()
    {
        var env = ((Pod)TestManifests.Validate(Pod).Objects[0].Object).Spec.Containers[0].Env!;
        Assert.Equal("8080", env["PORT"]);
        Assert.Equal("true", env["DEBUG"]);
        Assert.Equal("0.5", env["RATIO"]);
        Assert.Equal("1", ((Pod)TestManifests.Validate(Pod).Objects[0].Object).Spec.Containers[0].Resources!.Cpu);
    }

    [Fact]
    public void Defaults_Namespace_ToDefault()
    {
        var result = TestManifests.Validate("""
            apiVersion: gitorch.dev/v1
            kind: Pod
            metadata: {name: p}
            spec: {containers: [{name: main, image: busybox:1.35}]}
            """);
        result.NoErrors();
        Assert.Equal("default", result.Objects[0].Ref.Namespace);
    }

    [Fact]
    public void Loads_SeveralDocumentsPerFile()
    {
        var result = TestManifests.Validate("""
            apiVersion: gitorch.dev/v1
            kind: Target
            metadata: {name: a.target}
            ---
            apiVersion: gitorch.dev/v1
            kind: Target
            metadata: {name: b.target}
            """);
        result.NoErrors();
        Assert.Equal(["a.target", "b.target"], result.Objects.Select(o => o.Ref.Name));
        Assert.Equal(5, result.Objects[1].Location.Line);
    }

    [Theory]
    [InlineData("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\n", DiagnosticCodes.ApiVersion, 1, 13)]
    [InlineData("kind: Pod\nmetadata: {name: p}\n", DiagnosticCodes.ApiVersion, 1, 1)]
    [InlineData("apiVersion: gitorch.dev/v1\nkind: Deployment\nmetadata: {name: p}\n", DiagnosticCodes.UnknownKind, 2, 7)]
    [InlineData("apiVersion: gitorch.dev/v1\nmetadata: {name: p}\n", DiagnosticCodes.UnknownKind, 1, 1)]
    [InlineData("- a\n- b\n", DiagnosticCodes.ApiVersion, 1, 1)]
    [InlineData("apiVersion: gitorch.dev/v1\nkind: Target\nmetadata: {name: t, namespace: demo}\n", DiagnosticCodes.NamespaceOnClusterScoped, 3, 21)]
    public void Rejects_BadDocumentHeaders(string yaml, string code, int line, int column)
    {
        var d = TestManifests.Validate(yaml).Single(code);
        Assert.Equal(("m.yaml", line, column), (d.File, d.Line, d.Column));
    }

    [Fact]
    public void Suggests_TheClosestKind()
    {
        var d = TestManifests.Validate("apiVersion: gitorch.dev/v1\nkind: pod\nmetadata: {name: p}\n").Single(DiagnosticCodes.UnknownKind);
        Assert.Contains("did you mean Pod?", d.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void KeepsLoading_OtherDocuments_AfterABadOne()
    {
        var result = TestManifests.Validate("""
            apiVersion: gitorch.dev/v1
            kind: Nope
            metadata: {name: x}
            ---
            apiVersion: gitorch.dev/v1
            kind: Target
            metadata: {name: ok.target}
            """);
        Assert.False(result.IsValid);
        Assert.Equal("ok.target", Assert.Single(result.Objects).Ref.Name);
    }
}
