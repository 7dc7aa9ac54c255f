using GitOrch.Core.Diagnostics;
using GitOrch.Core.Manifests;
using GitOrch.Core.Tests.Support;

namespace GitOrch.Core.Tests.Validation;

/// <summary><c>spec.initContainers</c>: the same fields and checks as containers, one set of names across both lists, in Pods and PinnedDeployment templates.</summary>
public class InitContainerRulesTests
{
    private static string Pod(string spec) => $$"""
        apiVersion: gitorch.dev/v1
        kind: Pod
        metadata: {name: p, namespace: demo}
        spec:
        {{spec}}
        """;

    private const string Policy = """
        ---
        apiVersion: gitorch.dev/v1
        kind: ClusterPolicy
        metadata: {name: cluster}
        spec: {security: {exceptions: [{namespaces: [demo], allow: ["runtime:process"]}]}}
        """;

    [Fact]
    public void Accepts_InitContainers_AndLoadsThemInOrder()
    {
        var result = TestManifests.Validate(Pod("""
              initContainers:
                - {name: migrate, image: busybox:1.35, command: [/bin/sh, -c, "echo migrated"]}
                - {name: seed, image: busybox:1.35, command: [/bin/sh, -c, "echo seeded"], volumeMounts: [{name: data, mountPath: /data}]}
              containers: [{name: main, image: busybox:1.35, volumeMounts: [{name: data, mountPath: /data}]}]
              volumes: [{name: data, emptyDir: {}}]
            """));

        result.NoErrors();
        var spec = ((Pod)result.Objects.Single().Object).Spec;
        Assert.Equal(["migrate", "seed"], spec.InitContainers!.Select(c => c.Name));
    }

    [Theory]
    [InlineData("  initContainers: [{name: main, image: busybox:1.35}]\n  containers: [{name: main, image: busybox:1.35}]",
        DiagnosticCodes.DuplicateName, "spec.containers[0]: container name \"main\" is used twice (init containers and containers share one set of names)", 6, 17)]
    [InlineData("  initContainers: [{name: a, image: busybox:1.35}, {name: a, image: busybox:1.35}]\n  containers: [{name: main, image: busybox:1.35}]",
        DiagnosticCodes.DuplicateName, "spec.initContainers[1]: container name \"a\" is used twice", 5, 53)]
    [InlineData("  initContainers: [{name: migrate}]\n  containers: [{name: main, image: busybox:1.35}]",
        DiagnosticCodes.MissingField, "spec.initContainers[0]: container \"migrate\" runs on the oci runtime and needs an image", 5, 20)]
    [InlineData("  initContainers: [{name: migrate, image: busybox}]\n  containers: [{name: main, image: busybox:1.35}]",
        DiagnosticCodes.BadFormat, "spec.initContainers[0]: image \"busybox\" has no tag", 5, 43)]
    [InlineData("  initContainers: [{name: migrate, image: busybox:1.35, volumeMounts: [{name: nope, mountPath: /x}]}]\n  containers: [{name: main, image: busybox:1.35}]",
        DiagnosticCodes.Inconsistent, "spec.initContainers[0].volumeMounts[0]: mounts volume \"nope\", which the pod does not define", 5, 73)]
    public void Rejects_InitContainersLikeContainers_AtTheirPosition(string spec, string code, string message, int line, int column)
    {
        var d = TestManifests.Validate(Pod(spec)).Single(code);

        Assert.Contains(message, d.Message, StringComparison.Ordinal);
        Assert.Equal((line, column), (d.Line, d.Column));
    }

    [Fact]
    public void Rejects_AProcessInitContainer_WithoutACommand()
    {
        var d = TestManifests.Validate(Pod("  runtime: process\n  initContainers: [{name: migrate}]\n  containers: [{name: main, command: [sleep, \"1\"]}]") + "\n" + Policy)
            .Single(DiagnosticCodes.MissingField);

        Assert.Contains("spec.initContainers[0]: container \"migrate\" runs on the process runtime and needs a command", d.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Rejects_AnUnknownFieldInAnInitContainer_ByTheSchema()
    {
        var result = TestManifests.Validate(Pod("  initContainers: [{name: migrate, image: busybox:1.35, restartPolicy: Always}]\n  containers: [{name: main, image: busybox:1.35}]"));

        var d = Assert.Single(result.Diagnostics, x => x.Severity == DiagnosticSeverity.Error);
        Assert.Contains("restartPolicy", d.Message, StringComparison.Ordinal);
        Assert.Equal(5, d.Line);
    }

    [Fact]
    public void Rejects_AHostPathMountedOnlyByAnInitContainer_WithoutItsException()
    {
        // Init containers run in the pod's sandbox: a weakening they use needs its exception like any other.
        var d = TestManifests.Validate(Pod("""
              initContainers: [{name: fix, image: busybox:1.35, volumeMounts: [{name: host, mountPath: /host}]}]
              containers: [{name: main, image: busybox:1.35}]
              volumes: [{name: host, hostPath: /srv/data}]
            """)).Single(DiagnosticCodes.WeakeningWithoutException);

        Assert.Contains("hostPath:/srv/data", d.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Checks_InitContainersInPinnedDeploymentTemplates_AtTheirPosition()
    {
        var d = TestManifests.Validate("""
            apiVersion: gitorch.dev/v1
            kind: PinnedDeployment
            metadata: {name: web, namespace: demo}
            spec:
              replicas: 2
              percentNext: 0
              previous:
                spec:
                  initContainers: [{name: migrate, image: busybox:1.35}]
                  containers: [{name: main, image: busybox:1.35}]
              next:
                spec:
                  initContainers: [{name: main, image: busybox:1.35}]
                  containers: [{name: main, image: busybox:1.35}]
            """).Single(DiagnosticCodes.DuplicateName);

        Assert.Contains("spec.next.spec.containers[0]: container name \"main\" is used twice", d.Message, StringComparison.Ordinal);
        Assert.Equal(14, d.Line);
    }
}
