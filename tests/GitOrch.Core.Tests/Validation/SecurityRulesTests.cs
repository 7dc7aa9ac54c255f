using GitOrch.Core.Diagnostics;
using GitOrch.Core.Tests.Support;

namespace GitOrch.Core.Tests.Validation;

public class SecurityRulesTests
{
    private static string Policy(string allow, string namespaces = "[demo]") => $$"""
        apiVersion: gitorch.dev/v1
        kind: ClusterPolicy
        metadata: {name: cluster}
        spec:
          security:
            exceptions:
              - namespaces: {{namespaces}}
                allow: {{allow}}
        """;

    /// <summary>A pod whose line 7 is replaced by <paramref name="weakening"/> (spec level, indent 2).</summary>
    private static string Pod(string weakening, string ns = "demo") => $"""
        apiVersion: gitorch.dev/v1
        kind: Pod
        metadata:
          name: p
          namespace: {ns}
        spec:
        {weakening}
          containers:
            - name: main
              image: busybox:1.35
              command: [sleep, "1"]
        """;

    /// <summary>(spec line, exception, the text the diagnostic must point at).</summary>
    public static TheoryData<string, string, string> Weakenings => new()
    {
        { "  runtime: process", "runtime:process", "runtime" },
        { "  security: {runAsUser: 0}", "runAsRoot", "runAsUser" },
        { "  security: {allowPrivilegeEscalation: true}", "privilegeEscalation", "allowPrivilegeEscalation" },
        { "  security: {capabilities: [NET_ADMIN]}", "capability:NET_ADMIN", "NET_ADMIN" },
        { "  security: {capabilities: [CAP_SYS_ADMIN]}", "capability:SYS_ADMIN", "CAP_SYS_ADMIN" },
        { "  security: {seccomp: Unconfined}", "seccomp:unconfined", "seccomp" },
        { "  security: {hostUsers: true}", "hostUsers", "hostUsers" },
        { "  security: {readOnlyRootFilesystem: false}", "writableRootFilesystem", "readOnlyRootFilesystem" },
        { "  security: {hostNetwork: true}", "hostNetwork", "hostNetwork" },
        { "  security: {hostPID: true}", "hostPID", "hostPID" },
        { "  security: {hostIPC: true}", "hostIPC", "hostIPC" },
        { "  security: {privileged: true}", "privileged", "privileged" },
        { "  security: {devices: [/dev/fuse]}", "device:/dev/fuse", "/dev/fuse" },
        { "  security: {sysctls: {net.core.somaxconn: \"1024\"}}", "sysctl:net.core.somaxconn", "net.core.somaxconn" },
        { "  security: {procMount: Unmasked}", "procMount", "procMount" },
        { "  volumes: [{name: data, hostPath: /srv/data}]", "hostPath:/srv/data", "hostPath" },
    };

    [Theory]
    [MemberData(nameof(Weakenings))]
    public void Rejects_AWeakening_WithoutAnException_NamingFieldAndException(string weakening, string exception, string pointsAt)
    {
        const int line = 7;
        var column = weakening.IndexOf(pointsAt, StringComparison.Ordinal) + 1;
        var result = TestManifests.Validate(("pod.yaml", Pod(weakening)));
        var d = result.Single(DiagnosticCodes.WeakeningWithoutException);
        Assert.Equal(("pod.yaml", line, column), (d.File, d.Line, d.Column));
        Assert.Contains($"\"{exception}\" for namespace demo", d.Message, StringComparison.Ordinal);
        Assert.StartsWith("Pod demo/p: spec.", d.Message, StringComparison.Ordinal);
        Assert.Equal("Pod/demo/p", d.Object!.Key);
    }

    [Theory]
    [MemberData(nameof(Weakenings))]
    public void Accepts_AWeakening_WithAMatchingException(string weakening, string exception, string pointsAt)
    {
        Assert.Contains(pointsAt, weakening, StringComparison.Ordinal);
        var result = TestManifests.Validate(("pod.yaml", Pod(weakening)), ("policy.yaml", Policy($"[\"{exception}\"]")));
        result.NoErrors();
        Assert.Empty(result.Diagnostics);
    }

    [Theory]
    [InlineData("  runtime: gvisor")]
    [InlineData("  runtime: oci")]
    public void Accepts_TheGvisorRuntime_AStrongerSandbox_WithNoPolicyAtAll(string runtime)
    {
        var result = TestManifests.Validate(("pod.yaml", Pod(runtime)));

        Assert.Empty(result.Diagnostics);
        Assert.True(result.IsValid);
    }

    [Fact]
    public void Rejects_AGvisorPodWithoutAnImage_LikeAnOciPod()
    {
        var result = TestManifests.Validate(("pod.yaml", Pod("  runtime: gvisor").Replace("      image: busybox:1.35\n", string.Empty, StringComparison.Ordinal)));

        var d = Assert.Single(result.Diagnostics);
        Assert.Contains("runs on the gvisor runtime and needs an image", d.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Rejects_AWeakening_WhoseExceptionIsForAnotherNamespace()
    {
        var result = TestManifests.Validate(("pod.yaml", Pod("  security: {runAsUser: 0}", ns: "prod")), ("policy.yaml", Policy("[runAsRoot]")));
        Assert.Contains("for namespace prod in ClusterPolicy cluster", result.Single(DiagnosticCodes.WeakeningWithoutException).Message, StringComparison.Ordinal);
        Assert.Single(result.Diagnostics, d => d.Code == DiagnosticCodes.UnusedException);
    }

    [Fact]
    public void Accepts_TheStarNamespace_InAnException() =>
        TestManifests.Validate(Pod("  security: {runAsUser: 0}", ns: "prod"), Policy("[runAsRoot]", "[\"*\"]")).NoErrors();

    [Theory]
    [InlineData("hostPath:/srv", "/srv/data", true)]
    [InlineData("hostPath:/srv/", "/srv/data", true)]
    [InlineData("hostPath:/srv", "/srvdata", false)]
    [InlineData("hostPath:/srv/data", "/srv", false)]
    public void HostPathExceptions_CoverTheFolderAndBelow(string exception, string path, bool permitted)
    {
        var result = TestManifests.Validate(Pod($"  volumes: [{{name: d, hostPath: {path}}}]"), Policy($"[\"{exception}\"]"));
        Assert.Equal(permitted, result.IsValid);
    }

    [Fact]
    public void Allows_NetBindService_WithoutAnException() =>
        TestManifests.Validate(Pod("  security: {capabilities: [NET_BIND_SERVICE]}")).NoErrors();

    [Fact]
    public void Allows_SafeSysctls_WithoutAnException() =>
        TestManifests.Validate(Pod("  security: {sysctls: {net.ipv4.tcp_syncookies: \"1\"}}")).NoErrors();

    [Fact]
    public void Allows_NonRootUsers_AndExplicitDefaults_WithoutAnException() =>
        TestManifests.Validate(Pod("  security: {runAsUser: 1000, readOnlyRootFilesystem: true, seccomp: RuntimeDefault, hostNetwork: false}")).NoErrors();

    [Fact]
    public void Checks_PinnedDeploymentTemplates_Too()
    {
        var result = TestManifests.Validate("""
            apiVersion: gitorch.dev/v1
            kind: PinnedDeployment
            metadata: {name: web, namespace: demo}
            spec:
              replicas: 2
              percentNext: 50
              previous: {spec: {containers: [{name: main, image: busybox:1.35}]}}
              next:
                spec:
                  security: {privileged: true}
                  containers: [{name: main, image: busybox:1.36}]
            """);
        var d = result.Single(DiagnosticCodes.WeakeningWithoutException);
        Assert.Equal((10, 18), (d.Line, d.Column));
        Assert.Contains("spec.next.spec.security.privileged", d.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Warns_OnAnUnusedException_AtItsPosition()
    {
        var result = TestManifests.Validate(("policy.yaml", Policy("[runAsRoot, hostNetwork]")), ("pod.yaml", Pod("  security: {runAsUser: 0}")));
        result.NoErrors();
        var d = result.Single(DiagnosticCodes.UnusedException);
        Assert.Equal(("policy.yaml", 8, 28, DiagnosticSeverity.Warning), (d.File, d.Line, d.Column, d.Severity));
        Assert.Contains("\"hostNetwork\"", d.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Rejects_AnUnknownExceptionName_WithASuggestion()
    {
        var d = TestManifests.Validate(Policy("[runAsroot]")).Single(DiagnosticCodes.UnknownException);
        Assert.Contains("did you mean \"runAsRoot\"?", d.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Rejects_ASecondClusterPolicy_NamingTheFirst()
    {
        var second = Policy("[runAsRoot]").Replace("name: cluster", "name: other", StringComparison.Ordinal);
        var d = TestManifests.Validate(("a.yaml", Policy("[runAsRoot]")), ("b.yaml", second)).Single(DiagnosticCodes.DuplicatePolicy);
        Assert.Equal("b.yaml", d.File);
        Assert.Contains("ClusterPolicy cluster is already defined at a.yaml:3:", d.Message, StringComparison.Ordinal);
    }
}

public class LoopSecurityRulesTests
{
    private static string Loop(string security) => $"""
        apiVersion: gitorch.dev/v1
        kind: ControlLoop
        metadata: {"{"}name: nfs-mounts{"}"}
        spec:
          objectKinds: [Pod]
          step: {"{"}after: [scheduled.target], before: [storage.target]{"}"}
          owns: ["Pod:status.volumes"]
          exec: {"{"}command: [/usr/local/bin/nfs-loop]{"}"}
        {security}
        """;

    private static string Policy(string exception) => $"""
        apiVersion: gitorch.dev/v1
        kind: ClusterPolicy
        metadata: {"{"}name: cluster{"}"}
        spec:
          security:
            exceptions:
              - {exception}
        """;

    [Theory]
    [InlineData("  security: {runAsUser: 0}", "runAsRoot", "runAsUser")]
    [InlineData("  security: {runAsGroup: 0}", "runAsRoot", "runAsGroup")]
    [InlineData("  security: {capabilities: [SYS_ADMIN]}", "capability:SYS_ADMIN", "SYS_ADMIN")]
    [InlineData("  security: {seccomp: Unconfined}", "seccomp:unconfined", "seccomp")]
    [InlineData("  security: {allowPrivilegeEscalation: true}", "privilegeEscalation", "allowPrivilegeEscalation")]
    public void Rejects_ALoopWeakening_WithoutALoopsException_NamingLoopFieldAndException(string security, string exception, string pointsAt)
    {
        var d = TestManifests.Validate(("loop.yaml", Loop(security))).Single(DiagnosticCodes.WeakeningWithoutException);
        Assert.Equal(("loop.yaml", 9, security.IndexOf(pointsAt, StringComparison.Ordinal) + 1), (d.File, d.Line, d.Column));
        Assert.StartsWith("ControlLoop nfs-mounts: spec.security.", d.Message, StringComparison.Ordinal);
        Assert.Contains($"{{loops: [nfs-mounts], allow: [\"{exception}\"]}}", d.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Accepts_ALoopWeakening_WithAnExceptionNamingTheLoop() =>
        TestManifests.Validate(("loop.yaml", Loop("  security: {runAsUser: 0, capabilities: [NET_ADMIN]}")),
            ("policy.yaml", Policy("{loops: [nfs-mounts], allow: [runAsRoot, \"capability:NET_ADMIN\"]}"))).NoErrors();

    [Fact]
    public void ANamespaceException_DoesNotPermitALoop()
    {
        var result = TestManifests.Validate(("loop.yaml", Loop("  security: {runAsUser: 0}")), ("policy.yaml", Policy("{namespaces: [\"*\"], allow: [runAsRoot]}")));
        Assert.Contains("ClusterPolicy cluster", result.Single(DiagnosticCodes.WeakeningWithoutException).Message, StringComparison.Ordinal);
        Assert.Contains("not used by any pod or loop", result.Single(DiagnosticCodes.UnusedException).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ALoopsException_ForAnotherLoop_DoesNotPermitIt() =>
        Assert.False(TestManifests.Validate(("loop.yaml", Loop("  security: {runAsUser: 0}")), ("policy.yaml", Policy("{loops: [other], allow: [runAsRoot]}"))).IsValid);

    [Fact]
    public void Rejects_AnExceptionWithNeitherNamespacesNorLoops()
    {
        var d = TestManifests.Validate(("policy.yaml", Policy("{allow: [runAsRoot]}"))).Single(DiagnosticCodes.MissingField);
        Assert.Equal(("policy.yaml", 7, 9), (d.File, d.Line, d.Column));
    }
}

public class RunAsGroupRootTests
{
    [Fact]
    public void RunAsGroupZero_IsTheRunAsRootWeakening()
    {
        var d = TestManifests.Validate(("pod.yaml", """
            apiVersion: gitorch.dev/v1
            kind: Pod
            metadata: {name: p, namespace: demo}
            spec:
              security: {runAsUser: 1000, runAsGroup: 0}
              containers: [{name: main, image: busybox:1.35}]
            """)).Single(DiagnosticCodes.WeakeningWithoutException);
        Assert.Equal((5, 31), (d.Line, d.Column));
        Assert.Contains("\"runAsRoot\" for namespace demo", d.Message, StringComparison.Ordinal);
    }
}

public class MountPathRulesTests
{
    [Theory]
    [InlineData("/../../etc")]
    [InlineData("/data/../../x")]
    [InlineData("/data/./x")]
    [InlineData("//x")]
    public void Rejects_AMountPathThatIsNotPlain_AtItsValue(string mountPath)
    {
        var d = TestManifests.Validate(("pod.yaml", $$$"""
            apiVersion: gitorch.dev/v1
            kind: Pod
            metadata: {name: p, namespace: demo}
            spec:
              volumes: [{name: d, emptyDir: {}}]
              containers:
                - name: main
                  image: busybox:1.35
                  volumeMounts: [{name: d, mountPath: "{{{mountPath}}}"}]
            """)).Single(DiagnosticCodes.BadFormat);
        Assert.Equal(("pod.yaml", 9, 43), (d.File, d.Line, d.Column));
        Assert.Contains($"mountPath \"{mountPath}\" is not a plain absolute path", d.Message, StringComparison.Ordinal);
    }
}
