using GitOrch.Import.Tests.Support;

namespace GitOrch.Import.Tests;

/// <summary>
/// Kubernetes' own Pod Security Standards test data for the restricted level (Fixtures/pss, see its
/// README): every pod the standard admits imports and validates with no exception; every pod it
/// rejects is refused by the import, flagged by validate (naming the exception it would need), or —
/// where Kubernetes rejects only a weak default GitOrch does not have — imported at the maximum sandbox.
/// </summary>
public sealed class PodSecurityStandardsTests
{
    public static TheoryData<string> Admitted => new()
    {
        "base.yaml", "base_linux.yaml", "base_windows.yaml", "selinuxoptions0.yaml", "sysctls1.yaml", "apparmorprofile1.yaml",
    };

    [Theory]
    [MemberData(nameof(Admitted))]
    public void APodTheRestrictedStandardAdmits_ImportsAndValidates_WithNoException(string fixture)
    {
        var result = Imports.OfFixture($"pss/pass/{fixture}");

        Assert.False(result.Refused, Imports.Dump(result));
        var validation = Imports.Validate(result);
        Assert.True(validation.IsValid, Imports.Dump(validation));
        Assert.Empty(validation.Diagnostics);
        Assert.Equal("Pod", Assert.Single(result.Objects).Kind);
    }

    [Theory]
    [InlineData("hostports0.yaml", "spec.containers[0].ports[0].hostPort", 11, 7)]
    [InlineData("apparmorprofile0.yaml", "metadata.annotations.container.apparmor.security.beta.kubernetes.io/container1", 5, 5)]
    [InlineData("restrictedvolumes16.yaml", "spec.volumes[0].portworxVolume", 28, 5)]
    [InlineData("selinuxoptions0.yaml", "spec.securityContext.seLinuxOptions.type", 19, 7)]
    public void APodItRejects_ForASettingGitOrchCannotHonour_IsRefused_NamingFileObjectAndField(string fixture, string field, int line, int column)
    {
        var result = Imports.OfFixture($"pss/fail/{fixture}");

        var refusal = result.Refusal();
        Assert.Equal((field, line, column), (refusal.Field, refusal.Line, refusal.Column));
        Assert.EndsWith($"pss/fail/{fixture}", refusal.File, StringComparison.Ordinal);
        Assert.StartsWith("Pod ", refusal.Object, StringComparison.Ordinal);
    }

    [Fact]
    public void AWindowsHostProcessPod_IsRefused_ForEachContainerThatAsks()
    {
        var result = Imports.OfFixture("pss/fail/windowshostprocess1.yaml");

        Assert.Equal(
            ["spec.containers[0].securityContext.windowsOptions.hostProcess", "spec.initContainers[0].securityContext.windowsOptions.hostProcess"],
            result.Of(NoteKind.Refused).Select(n => n.Field).Order(StringComparer.Ordinal));
    }

    [Theory]
    [InlineData("runasuser0.yaml", "runAsRoot", "security.runAsUser")]
    [InlineData("procmount1.yaml", "procMount", "security.procMount")]
    [InlineData("seccompprofile_baseline1.yaml", "seccomp:unconfined", "security.seccomp")]
    [InlineData("privileged0.yaml", "privileged", "security.privileged")]
    [InlineData("hostnamespaces0.yaml", "hostIPC", "security.hostIPC")]
    [InlineData("hostpathvolumes0.yaml", "hostPath:/a", "volumes[1].hostPath")]
    [InlineData("addcapabilities0.yaml", "capability:NET_RAW", "security.capabilities")]
    [InlineData("allowprivilegeescalation1.yaml", "privilegeEscalation", "security.allowPrivilegeEscalation")]
    public void APodItRejects_ForAWeakening_IsImportedWithTheWeakeningWritten_AndValidateNamesTheException(string fixture, string exception, string field)
    {
        var result = Imports.OfFixture($"pss/fail/{fixture}");

        Assert.False(result.Refused, Imports.Dump(result));
        var weakening = Assert.Single(Imports.Weakenings(Imports.Validate(result)));
        Assert.Contains($"\"{exception}\"", weakening.Message, StringComparison.Ordinal);
        Assert.Contains(field, weakening.Message, StringComparison.Ordinal);

        // With that exception in a ClusterPolicy, it validates.
        var policy = $$$"""
            apiVersion: gitorch.dev/v1
            kind: ClusterPolicy
            metadata: {name: cluster}
            spec: {security: {exceptions: [{namespaces: [default], allow: ["{{{exception}}}"]}]}}
            """;
        Assert.True(Imports.Validate(result, policy).IsValid, Imports.Dump(Imports.Validate(result, policy)));
    }

    [Theory]
    [InlineData("capabilities_restricted1.yaml")]
    [InlineData("seccompprofile_restricted3.yaml")]
    [InlineData("runasnonroot3.yaml")]
    public void APodItRejects_OnlyForAWeakKubernetesDefault_IsImportedAtTheMaximumSandbox(string fixture)
    {
        var result = Imports.OfFixture($"pss/fail/{fixture}");

        Assert.False(result.Refused, Imports.Dump(result));
        var pod = Imports.Json(Assert.Single(result.Objects));
        Assert.Null(pod["spec"]!["security"]); // No request to weaken anything: GitOrch's defaults drop every capability, filter syscalls, run as 65534.
        Assert.Empty(Imports.Validate(result).Diagnostics);
    }
}
