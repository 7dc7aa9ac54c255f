using System.Text.Json.Nodes;
using GitOrch.Agent.Runtimes;
using GitOrch.Core.Manifests;

namespace GitOrch.Agent.Tests.Runtimes;

/// <summary>
/// The OCI runtime spec the oci driver writes (no runc needed): the defaults are the maximum
/// sandbox of DESIGN.md's security table, and each weakening changes exactly its own field.
/// </summary>
public sealed class RuncDriverSpecTests
{
    private const string Rootfs = "/var/lib/gitorch/images/busybox/1.35/rootfs";

    private static ContainerLaunch Launch(string? securityJson = null, string? podIp = null)
    {
        var spec = ManifestJson.Parse($$"""
            {
              "runtime": "oci",
              "containers": [{"name": "main", "image": "busybox:1.35", "command": ["/bin/sh", "-c", "sleep 300"]}]
              {{(securityJson is null ? string.Empty : ", \"security\": " + securityJson)}}
            }
            """).Bind<PodSpec>()!;
        return new ContainerLaunch("Pod/demo/worker", "/var/lib/gitorch/pods/Pod_demo_worker", spec, spec.Containers[0], podIp, new Dictionary<string, int>(), "/tmp/main.log", Rootfs);
    }

    private static JsonObject Spec(string? securityJson = null) => RuncDriver.Spec(Launch(securityJson), networkNamespace: null);

    private static string[] Strings(JsonNode? array) => [.. array!.AsArray().Select(n => n!.GetValue<string>())];

    private static string[] NamespaceTypes(JsonObject spec) => [.. spec["linux"]!["namespaces"]!.AsArray().Select(n => n!["type"]!.GetValue<string>()).Order(StringComparer.Ordinal)];

    [Fact]
    public void Defaults_RunAsNobody_WithNoNewPrivileges_AndNoCapabilities()
    {
        var process = Spec()["process"]!;

        Assert.Equal(65534, process["user"]!["uid"]!.GetValue<long>());
        Assert.Equal(65534, process["user"]!["gid"]!.GetValue<long>());
        Assert.Empty(process["user"]!["additionalGids"]!.AsArray());
        Assert.True(process["noNewPrivileges"]!.GetValue<bool>());
        foreach (var set in new[] { "bounding", "effective", "permitted", "inheritable", "ambient" })
        {
            Assert.Empty(process["capabilities"]![set]!.AsArray());
        }

        Assert.Equal(["/bin/sh", "-c", "sleep 300"], Strings(process["args"]));
        Assert.False(process["terminal"]!.GetValue<bool>());
    }

    [Fact]
    public void Defaults_HaveTheRuntimeDefaultSeccompFilter()
    {
        var seccomp = Spec()["linux"]!["seccomp"]!;

        Assert.Equal("SCMP_ACT_ALLOW", seccomp["defaultAction"]!.GetValue<string>());
        var rule = Assert.Single(seccomp["syscalls"]!.AsArray())!;
        Assert.Equal("SCMP_ACT_ERRNO", rule["action"]!.GetValue<string>());
        Assert.Subset(Strings(rule["names"]).ToHashSet(), new HashSet<string> { "mount", "unshare", "setns", "ptrace", "bpf", "kexec_load", "init_module", "reboot" });
    }

    [Fact]
    public void Defaults_HaveAUserNamespace_MappingContainerRootToTheUnprivilegedRange()
    {
        var spec = Spec();

        Assert.Equal(["ipc", "mount", "network", "pid", "user", "uts"], NamespaceTypes(spec));
        foreach (var mappings in new[] { "uidMappings", "gidMappings" })
        {
            var mapping = Assert.Single(spec["linux"]![mappings]!.AsArray())!;
            Assert.Equal("""{"containerID":0,"hostID":100000,"size":65536}""", mapping.ToJsonString());
        }
    }

    [Fact]
    public void Defaults_HaveAReadOnlyRoot_AWritableTmp_MaskedProcPaths_AndNoDevicesOrHostMounts()
    {
        var spec = Spec();

        Assert.Equal(Rootfs, spec["root"]!["path"]!.GetValue<string>());
        Assert.True(spec["root"]!["readonly"]!.GetValue<bool>());
        var tmp = Assert.Single(spec["mounts"]!.AsArray(), m => m!["destination"]!.GetValue<string>() == "/tmp")!;
        Assert.Equal("tmpfs", tmp["type"]!.GetValue<string>());
        Assert.DoesNotContain("ro", Strings(tmp["options"]));
        Assert.Subset(Strings(spec["linux"]!["maskedPaths"]).ToHashSet(), new HashSet<string> { "/proc/kcore", "/proc/keys", "/proc/timer_list", "/sys/firmware" });
        Assert.Subset(Strings(spec["linux"]!["readonlyPaths"]).ToHashSet(), new HashSet<string> { "/proc/sys", "/proc/sysrq-trigger", "/proc/bus", "/proc/irq" });
        Assert.Empty(spec["linux"]!["devices"]!.AsArray());
        Assert.DoesNotContain(spec["mounts"]!.AsArray(), m => m!["type"]!.GetValue<string>() == "bind");
        Assert.Null(spec["linux"]!["sysctl"]);
    }

    [Fact]
    public void APodIpNetworkNamespace_IsJoinedByPath()
    {
        var spec = RuncDriver.Spec(Launch(podIp: "fd67:6974:6f72:1::5"), "/var/run/netns/gitorch-x");

        var network = Assert.Single(spec["linux"]!["namespaces"]!.AsArray(), n => n!["type"]!.GetValue<string>() == "network")!;
        Assert.Equal("/var/run/netns/gitorch-x", network["path"]!.GetValue<string>());
        Assert.Contains("POD_IP=fd67:6974:6f72:1::5", Strings(spec["process"]!["env"]));
    }

    /// <summary>Each weakening the pod asks for (already permitted by validation) changes exactly these fields of the default spec.</summary>
    [Theory]
    [InlineData("""{"hostNetwork": true}""", "linux.namespaces")]
    [InlineData("""{"hostPID": true}""", "linux.namespaces")]
    [InlineData("""{"hostIPC": true}""", "linux.namespaces")]
    [InlineData("""{"hostUsers": true}""", "linux.gidMappings linux.namespaces linux.uidMappings")]
    [InlineData("""{"seccomp": "Unconfined"}""", "linux.seccomp")]
    [InlineData("""{"seccomp": "RuntimeDefault"}""", "")]
    [InlineData("""{"readOnlyRootFilesystem": false}""", "root.readonly")]
    [InlineData("""{"readOnlyRootFilesystem": true}""", "")]
    [InlineData("""{"procMount": "Unmasked"}""", "linux.maskedPaths linux.readonlyPaths")]
    [InlineData("""{"allowPrivilegeEscalation": true}""", "process.noNewPrivileges")]
    [InlineData("""{"runAsUser": 1000}""", "process.user.gid process.user.uid")]
    [InlineData("""{"runAsUser": 1000, "runAsGroup": 2000}""", "process.user.gid process.user.uid")]
    [InlineData("""{"capabilities": ["NET_ADMIN"]}""", "process.capabilities.ambient process.capabilities.bounding process.capabilities.effective process.capabilities.permitted")]
    [InlineData("""{"sysctls": {"net.core.somaxconn": "1024"}}""", "linux.sysctl")]
    [InlineData("""{"privileged": true}""", "linux.seccomp process.capabilities.ambient process.capabilities.bounding process.capabilities.effective process.capabilities.permitted process.noNewPrivileges")]
    public void AWeakening_ChangesExactlyItsOwnFields(string security, string fields)
    {
        var changed = Differences(Spec(), Spec(security)).Order(StringComparer.Ordinal);

        Assert.Equal(fields, string.Join(' ', changed));
    }

    [Theory]
    [InlineData("""{"hostNetwork": true}""", "ipc mount pid user uts")]
    [InlineData("""{"hostPID": true}""", "ipc mount network user uts")]
    [InlineData("""{"hostIPC": true}""", "mount network pid user uts")]
    [InlineData("""{"hostUsers": true}""", "ipc mount network pid uts")]
    public void AHostNamespaceWeakening_RemovesExactlyThatNamespace(string security, string namespaces)
    {
        var spec = Spec(security);

        Assert.Equal(namespaces, string.Join(' ', NamespaceTypes(spec)));
        if (security.Contains("hostUsers", StringComparison.Ordinal))
        {
            Assert.Null(spec["linux"]!["uidMappings"]);
            Assert.Null(spec["linux"]!["gidMappings"]);
        }
    }

    [Fact]
    public void RunAsRootWithNetAdmin_IsUidZero_WithOnlyNetAdmin_AndNoAmbientCapabilities()
    {
        var process = Spec("""{"runAsUser": 0, "capabilities": ["NET_ADMIN"]}""")["process"]!;

        Assert.Equal((0L, 0L), (process["user"]!["uid"]!.GetValue<long>(), process["user"]!["gid"]!.GetValue<long>()));
        foreach (var set in new[] { "bounding", "effective", "permitted" })
        {
            Assert.Equal(["CAP_NET_ADMIN"], Strings(process["capabilities"]![set]));
        }

        Assert.Empty(process["capabilities"]!["ambient"]!.AsArray());
        Assert.True(process["noNewPrivileges"]!.GetValue<bool>());
    }

    [Fact]
    public void Privileged_HasEveryCapability_AndNoSeccompFilter()
    {
        var spec = Spec("""{"privileged": true}""");

        var effective = Strings(spec["process"]!["capabilities"]!["effective"]);
        Assert.Subset(effective.ToHashSet(), new HashSet<string> { "CAP_SYS_ADMIN", "CAP_NET_ADMIN", "CAP_SYS_PTRACE" });
        Assert.Null(spec["linux"]!["seccomp"]);
        Assert.False(spec["process"]!["noNewPrivileges"]!.GetValue<bool>());
    }

    [Fact]
    public void AContainerWithoutCommand_IsRefused_SayingToSetCommand()
    {
        var spec = new PodSpec { Containers = [new Container { Name = "main", Image = "busybox:1.35" }] };
        var launch = new ContainerLaunch("Pod/demo/worker", "/x", spec, spec.Containers[0], null, new Dictionary<string, int>(), "/tmp/main.log", Rootfs);

        var error = Assert.Throws<RuntimeException>(() => RuncDriver.Spec(launch, null));

        Assert.Equal("container main has no command (images carry no entrypoint here); set command", error.Message);
    }

    /// <summary>Dotted paths where two specs differ: objects are walked, arrays and values compared whole.</summary>
    private static IEnumerable<string> Differences(JsonNode? a, JsonNode? b, string path = "")
    {
        if (a is JsonObject oa && b is JsonObject ob)
        {
            foreach (var key in oa.Select(p => p.Key).Union(ob.Select(p => p.Key)))
            {
                foreach (var difference in Differences(oa[key], ob[key], path.Length == 0 ? key : $"{path}.{key}"))
                {
                    yield return difference;
                }
            }
        }
        else if (!JsonNode.DeepEquals(a, b))
        {
            yield return path;
        }
    }
}
