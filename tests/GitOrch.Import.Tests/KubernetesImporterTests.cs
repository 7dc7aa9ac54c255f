using System.Text.Json.Nodes;
using GitOrch.Import.Tests.Support;

namespace GitOrch.Import.Tests;

/// <summary>Field mapping, the security rules (written, absorbed, refused), kinds, and hostile input.</summary>
public sealed class KubernetesImporterTests
{
    /// <summary>A v1 Pod named web whose spec is <paramref name="spec"/> (indented two spaces).</summary>
    private static string Pod(string spec, string metadata = "") => $"""
        apiVersion: v1
        kind: Pod
        metadata:
          name: web
        {metadata}spec:
        {spec}
        """;

    /// <summary>Equal as JSON (key order aside), showing both when not.</summary>
    private static void AssertJson(string expected, JsonNode actual) =>
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(expected), actual), $"expected:\n{JsonNode.Parse(expected)}\nactual:\n{actual}");

    private static JsonNode Spec(ImportResult result) => Imports.Json(Assert.Single(result.Objects))["spec"]!;

    [Fact]
    public void MapsThePodSpec_ContainersInitContainersEnvPortsResourcesVolumes()
    {
        var result = Imports.Of(Pod("""
              restartPolicy: OnFailure
              nodeSelector: {zone: home}
              terminationGracePeriodSeconds: 15
              initContainers:
              - name: migrate
                image: busybox:1.35
                command: [/bin/sh, -c]
                args: ["echo migrated > /data/schema"]
                volumeMounts: [{name: data, mountPath: /data}]
              containers:
              - name: main
                image: nginx:1.27
                command: [nginx, -g, "daemon off;"]
                workingDir: /srv
                env:
                - {name: GREETING, value: hello}
                - {name: EMPTY}
                ports:
                - {name: http, containerPort: 8080}
                - {containerPort: 9090, protocol: UDP}
                resources:
                  limits: {cpu: 500m, memory: 128Mi}
                volumeMounts:
                - {name: data, mountPath: /data, readOnly: true}
                - {name: host, mountPath: /host}
              volumes:
              - {name: data, emptyDir: {sizeLimit: 64Mi}}
              - {name: host, hostPath: {path: /srv/data, type: Directory}}
            """));

        Assert.False(result.Refused, Imports.Dump(result));
        AssertJson("""
            {
              "restartPolicy": "OnFailure", "nodeSelector": {"zone": "home"}, "terminationGracePeriodSeconds": 15,
              "initContainers": [{"name": "migrate", "image": "busybox:1.35", "command": ["/bin/sh", "-c"], "args": ["echo migrated > /data/schema"],
                                  "volumeMounts": [{"name": "data", "mountPath": "/data"}]}],
              "containers": [{"name": "main", "image": "nginx:1.27", "command": ["nginx", "-g", "daemon off;"], "workingDir": "/srv",
                              "env": {"GREETING": "hello", "EMPTY": ""},
                              "ports": [{"name": "http", "port": 8080}, {"name": "port-9090", "port": 9090, "protocol": "UDP"}],
                              "resources": {"cpu": "500m", "memory": "128Mi"},
                              "volumeMounts": [{"name": "data", "mountPath": "/data", "readOnly": true}, {"name": "host", "mountPath": "/host"}]}],
              "volumes": [{"name": "data", "emptyDir": {"sizeLimit": "64Mi"}}, {"name": "host", "hostPath": "/srv/data"}]
            }
            """, Spec(result));
        Assert.Contains(result.Of(NoteKind.Ignored), n => n.Field == "spec.volumes[1].hostPath.type");
    }

    [Fact]
    public void EveryWeakening_IsWrittenExplicitly_SoValidateNamesEachException()
    {
        var result = Imports.Of(Pod("""
              hostNetwork: true
              hostPID: true
              hostIPC: true
              hostUsers: true
              securityContext:
                runAsUser: 0
                runAsGroup: 0
                sysctls: [{name: net.core.somaxconn, value: "1024"}]
              initContainers:
              - name: fix
                image: busybox:1.35
                securityContext: {allowPrivilegeEscalation: true, capabilities: {add: [CHOWN]}}
              containers:
              - name: main
                image: busybox:1.35
                securityContext:
                  privileged: true
                  readOnlyRootFilesystem: false
                  procMount: Unmasked
                  seccompProfile: {type: Unconfined}
                  capabilities: {add: [NET_ADMIN, CAP_SYS_TIME, NET_BIND_SERVICE], drop: [ALL]}
                volumeMounts: [{name: host, mountPath: /host}]
              volumes:
              - {name: host, hostPath: {path: /srv/data}}
            """));

        Assert.False(result.Refused, Imports.Dump(result));
        Assert.Equal(JsonNode.Parse("""
            {"allowPrivilegeEscalation": true, "capabilities": ["CHOWN", "NET_ADMIN", "NET_BIND_SERVICE", "SYS_TIME"], "hostIPC": true, "hostNetwork": true,
             "hostPID": true, "hostUsers": true, "privileged": true, "procMount": "Unmasked", "readOnlyRootFilesystem": false,
             "runAsGroup": 0, "runAsUser": 0, "seccomp": "Unconfined", "sysctls": {"net.core.somaxconn": "1024"}}
            """)!.ToString(), Spec(result)["security"]!.ToString());
        var exceptions = Imports.Weakenings(Imports.Validate(result))
            .Select(d => System.Text.RegularExpressions.Regex.Match(d.Message, "exception \"([^\"]+)\"").Groups[1].Value).Distinct().Order(StringComparer.Ordinal);
        Assert.Equal(
            ["capability:CHOWN", "capability:NET_ADMIN", "capability:SYS_TIME", "hostIPC", "hostNetwork", "hostPID", "hostPath:/srv/data", "hostUsers",
             "privilegeEscalation", "privileged", "procMount", "runAsRoot", "seccomp:unconfined", "sysctl:net.core.somaxconn", "writableRootFilesystem"],
            exceptions);
    }

    [Fact]
    public void SettingsThatAskOnlyForWhatGitOrchEnforces_AreAbsorbed_AndWriteNothing()
    {
        var result = Imports.Of(Pod("""
              hostNetwork: false
              hostUsers: false
              securityContext:
                runAsNonRoot: true
                seccompProfile: {type: RuntimeDefault}
                appArmorProfile: {type: RuntimeDefault}
              containers:
              - name: main
                image: busybox:1.35
                securityContext:
                  allowPrivilegeEscalation: false
                  readOnlyRootFilesystem: true
                  privileged: false
                  procMount: Default
                  capabilities: {drop: [ALL]}
                  seLinuxOptions: {type: container_t, level: "s0:c1,c2"}
            """, metadata: "  annotations: {container.apparmor.security.beta.kubernetes.io/main: runtime/default}\n"));

        Assert.False(result.Refused, Imports.Dump(result));
        Assert.Null(Spec(result)["security"]);
        Assert.Equal(
            ["metadata.annotations.container.apparmor.security.beta.kubernetes.io/main", "spec.containers[0].securityContext.allowPrivilegeEscalation",
             "spec.containers[0].securityContext.capabilities.drop", "spec.containers[0].securityContext.privileged", "spec.containers[0].securityContext.procMount",
             "spec.containers[0].securityContext.readOnlyRootFilesystem", "spec.containers[0].securityContext.seLinuxOptions", "spec.hostNetwork", "spec.hostUsers",
             "spec.securityContext.appArmorProfile", "spec.securityContext.runAsNonRoot", "spec.securityContext.seccompProfile"],
            result.Of(NoteKind.Absorbed).Select(n => n.Field!).Order(StringComparer.Ordinal));
        Assert.Empty(Imports.Validate(result).Diagnostics);
    }

    [Theory]
    [InlineData("    env: [{name: PASSWORD, valueFrom: {secretKeyRef: {name: db, key: password}}}]", "spec.containers[0].env[0].valueFrom", "from a Secret")]
    [InlineData("    envFrom: [{configMapRef: {name: settings}}]", "spec.containers[0].envFrom", "no ConfigMaps or Secrets")]
    [InlineData("    ports: [{containerPort: 80, hostPort: 8080}]", "spec.containers[0].ports[0].hostPort", "binds a port on the node")]
    [InlineData("    ports: [{containerPort: 80, hostIP: 10.0.0.1}]", "spec.containers[0].ports[0].hostIP", "binds a node address")]
    [InlineData("    securityContext: {appArmorProfile: {type: Unconfined}}", "spec.containers[0].securityContext.appArmorProfile", "AppArmor profile Unconfined")]
    [InlineData("    securityContext: {appArmorProfile: {type: Localhost, localhostProfile: mine}}", "spec.containers[0].securityContext.appArmorProfile", "AppArmor profile Localhost")]
    [InlineData("    securityContext: {seLinuxOptions: {user: system_u}}", "spec.containers[0].securityContext.seLinuxOptions", "SELinux user system_u")]
    [InlineData("    securityContext: {seLinuxOptions: {role: system_r}}", "spec.containers[0].securityContext.seLinuxOptions", "SELinux role system_r")]
    [InlineData("    securityContext: {seLinuxOptions: {type: spc_t}}", "spec.containers[0].securityContext.seLinuxOptions.type", "SELinux type spc_t")]
    [InlineData("    securityContext: {seccompProfile: {type: Localhost, localhostProfile: profiles/audit.json}}", "spec.containers[0].securityContext.seccompProfile", "cannot load a custom profile")]
    [InlineData("    securityContext: {windowsOptions: {hostProcess: true}}", "spec.containers[0].securityContext.windowsOptions.hostProcess", "runs on the host itself")]
    [InlineData("    volumeMounts: [{name: data, mountPath: /data, subPath: logs}]\n  volumes: [{name: data, emptyDir: {}}]", "spec.containers[0].volumeMounts[0].subPath", "mounts whole volumes")]
    [InlineData("    volumeMounts: [{name: data, mountPath: /data, mountPropagation: Bidirectional}]\n  volumes: [{name: data, emptyDir: {}}]", "spec.containers[0].volumeMounts[0].mountPropagation", "shares mounts with the host")]
    [InlineData("    volumeDevices: [{name: disk, devicePath: /dev/xvda}]", "spec.containers[0].volumeDevices", "no block volumes")]
    [InlineData("  volumes: [{name: cfg, configMap: {name: settings}}]", "spec.volumes[0].configMap", "configMap volume")]
    [InlineData("  volumes: [{name: s, secret: {secretName: tls}}]", "spec.volumes[0].secret", "secret volume")]
    [InlineData("  volumes: [{name: n, nfs: {server: nas, path: /export}}]", "spec.volumes[0].nfs", "unsafe volume type")]
    [InlineData("  volumes: [{name: g, gitRepo: {repository: https://example.com/r.git}}]", "spec.volumes[0].gitRepo", "unsafe volume type")]
    [InlineData("  volumes: [{name: c, persistentVolumeClaim: {claimName: data}}]", "spec.volumes[0].persistentVolumeClaim", "unsafe volume type")]
    [InlineData("    image: busybox@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", "spec.containers[0].image", "named by digest")]
    public void ASettingGitOrchCannotHonour_IsRefused_NamingTheField(string extra, string field, string messagePart)
    {
        var containerExtra = extra.StartsWith("    ", StringComparison.Ordinal);
        var spec = containerExtra
            ? (extra.Contains("image:", StringComparison.Ordinal) ? $"  containers:\n  - name: main\n{extra}" : $"  containers:\n  - name: main\n    image: busybox:1.35\n{extra}")
            : $"  containers:\n  - name: main\n    image: busybox:1.35\n{extra}";

        var result = Imports.Of(Pod(spec));

        var refusal = result.Refusal();
        Assert.Equal(field, refusal.Field);
        Assert.Contains(messagePart, refusal.Message, StringComparison.Ordinal);
        Assert.Equal(("k8s.yaml", "Pod web"), (refusal.File, refusal.Object));
        Assert.True(refusal.Line >= 5, refusal.ToString());
    }

    [Fact]
    public void ContainersThatAskForDifferentUsers_AreRefused_BecauseAGitOrchPodHasOneUser()
    {
        var result = Imports.Of(Pod("""
              securityContext: {runAsUser: 1000}
              containers:
              - {name: a, image: busybox:1.35}
              - {name: b, image: busybox:1.35, securityContext: {runAsUser: 2000}}
            """));

        var refusal = result.Refusal();
        Assert.Equal("spec.containers[1].securityContext.runAsUser", refusal.Field);
        Assert.Contains("different runAsUser values (1000, 2000)", refusal.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void OneNonRootUserForTheWholePod_IsWritten()
    {
        var result = Imports.Of(Pod("""
              securityContext: {runAsUser: 1000, runAsGroup: 3000}
              containers:
              - {name: a, image: busybox:1.35}
            """));

        Assert.Equal(JsonNode.Parse("""{"runAsGroup": 3000, "runAsUser": 1000}""")!.ToString(), Spec(result)["security"]!.ToString());
        Assert.Empty(Imports.Validate(result).Diagnostics); // A non-root user is no weakening.
    }

    [Fact]
    public void AnEphemeralContainer_IsLeftOut_ButAWeakeningItAsksForIsRefused()
    {
        var result = Imports.Of(Pod("""
              containers:
              - {name: main, image: busybox:1.35}
              ephemeralContainers:
              - name: debugger
                image: busybox:1.35
                securityContext: {privileged: true, capabilities: {drop: [ALL], add: [SYS_PTRACE]}}
            """));

        Assert.Equal(
            ["spec.ephemeralContainers[0].securityContext.capabilities.add", "spec.ephemeralContainers[0].securityContext.privileged"],
            result.Of(NoteKind.Refused).Select(n => n.Field!).Order(StringComparer.Ordinal));
        Assert.All(result.Of(NoteKind.Refused), n => Assert.Contains("ephemeral container", n.Message, StringComparison.Ordinal));
        Assert.Contains(result.Of(NoteKind.Ignored), n => n.Field == "spec.ephemeralContainers[0]");
        Assert.Contains(result.Of(NoteKind.Absorbed), n => n.Field == "spec.ephemeralContainers[0].securityContext.capabilities.drop");
    }

    [Fact]
    public void AnEphemeralContainerThatAsksForNothingWeaker_DoesNotStopTheImport()
    {
        var result = Imports.Of(Pod("""
              containers:
              - {name: main, image: busybox:1.35}
              ephemeralContainers:
              - {name: debugger, image: busybox:1.35, securityContext: {allowPrivilegeEscalation: false}}
            """));

        Assert.False(result.Refused, Imports.Dump(result));
        Assert.DoesNotContain("debugger", Assert.Single(result.Objects).Yaml, StringComparison.Ordinal);
    }

    [Fact]
    public void ASidecarInitContainer_BecomesAContainer()
    {
        var result = Imports.Of(Pod("""
              initContainers:
              - {name: migrate, image: busybox:1.35}
              - {name: proxy, image: envoy:1.30, restartPolicy: Always}
              containers:
              - {name: main, image: busybox:1.35}
            """));

        var spec = Spec(result);
        Assert.Equal(["migrate"], spec["initContainers"]!.AsArray().Select(c => (string)c!["name"]!));
        Assert.Equal(["proxy", "main"], spec["containers"]!.AsArray().Select(c => (string)c!["name"]!));
        Assert.Contains(result.Of(NoteKind.Adjusted), n => n.Field == "spec.initContainers[1].restartPolicy");
    }

    [Fact]
    public void AFieldTheKubernetesModelsDoNotKnow_IsRefused_NotDropped()
    {
        var result = Imports.Of(Pod("""
              containers:
              - name: main
                image: busybox:1.35
                securityContext: {privilegedd: true}
            """));

        var refusal = result.Refusal();
        Assert.Contains("Kubernetes cannot read this Pod", refusal.Message, StringComparison.Ordinal);
        Assert.Contains("privilegedd", refusal.Message, StringComparison.Ordinal);
        Assert.Empty(result.Objects);
    }

    [Fact]
    public void FieldsWithNoCounterpart_AreIgnored_WithTheReason()
    {
        var result = Imports.Of(Pod("""
              serviceAccountName: web
              affinity: {nodeAffinity: {}}
              containers:
              - name: main
                image: busybox:1.35
                imagePullPolicy: Always
                livenessProbe: {httpGet: {path: /healthz, port: 8080}}
            """));

        Assert.False(result.Refused, Imports.Dump(result));
        Assert.Equal(
            ["spec.affinity", "spec.containers[0].imagePullPolicy", "spec.containers[0].livenessProbe", "spec.serviceAccountName"],
            result.Of(NoteKind.Ignored).Select(n => n.Field!).Order(StringComparer.Ordinal));
        Assert.Contains(result.Of(NoteKind.Ignored), n => n.Message.Contains("no probes", StringComparison.Ordinal));
    }

    [Fact]
    public void AJob_BecomesAPod_AndAStatefulSetADaemonSetAndAReplicaSet_BecomePinnedDeployments()
    {
        var template = """
              template:
                metadata: {labels: {app: x}}
                spec:
                  restartPolicy: OnFailure
                  containers: [{name: main, image: busybox:1.35, command: [sh]}]
            """;
        var yaml = $"""
            apiVersion: batch/v1
            kind: Job
            metadata: {"{"}name: once{"}"}
            spec:
              backoffLimit: 4
            {template}
            ---
            apiVersion: apps/v1
            kind: StatefulSet
            metadata: {"{"}name: db{"}"}
            spec:
              replicas: 3
              serviceName: db
              selector: {"{"}matchLabels: {"{"}app: x{"}"}{"}"}
            {template.Replace("OnFailure", "Always", StringComparison.Ordinal)}
            ---
            apiVersion: apps/v1
            kind: DaemonSet
            metadata: {"{"}name: agent{"}"}
            spec:
              selector: {"{"}matchLabels: {"{"}app: x{"}"}{"}"}
            {template.Replace("OnFailure", "Always", StringComparison.Ordinal)}
            ---
            apiVersion: apps/v1
            kind: ReplicaSet
            metadata: {"{"}name: rs{"}"}
            spec:
              replicas: 2
              selector: {"{"}matchLabels: {"{"}app: x{"}"}{"}"}
            {template.Replace("OnFailure", "Always", StringComparison.Ordinal)}
            ---
            apiVersion: batch/v1
            kind: CronJob
            metadata: {"{"}name: nightly{"}"}
            spec: {"{"}schedule: "0 3 * * *", jobTemplate: {"{"}spec: {"{"}template: {"{"}spec: {"{"}containers: []{"}"}{"}"}{"}"}{"}"}{"}"}
            ---
            apiVersion: example.com/v1
            kind: Widget
            metadata: {"{"}name: w{"}"}
            """;

        var result = Imports.Of(yaml, ns: "batch");

        Assert.False(result.Refused, Imports.Dump(result));
        Assert.Equal([("Pod", "once"), ("PinnedDeployment", "db"), ("PinnedDeployment", "agent"), ("PinnedDeployment", "rs")], result.Objects.Select(o => (o.Kind, o.Name)));
        Assert.All(result.Objects, o => Assert.Equal("batch", o.Namespace));
        Assert.Equal(("OnFailure", "x"), ((string?)Imports.Json(result.Objects[0])["spec"]!["restartPolicy"], (string?)Imports.Json(result.Objects[0])["metadata"]!["labels"]!["app"]));
        Assert.Equal([3, 1, 2], result.Objects.Skip(1).Select(o => (int)Imports.Json(o)["spec"]!["replicas"]!));
        Assert.Contains(result.Of(NoteKind.Ignored), n => n.Field == "spec.backoffLimit");
        Assert.Equal(["CronJob nightly", "Widget w"], result.Of(NoteKind.Skipped).Select(n => n.Object));
        Assert.Contains("not a kind GitOrch converts", result.Of(NoteKind.Skipped).Last().Message, StringComparison.Ordinal);
        Assert.DoesNotContain(Imports.Validate(result).Diagnostics, d => d.Severity == Core.Diagnostics.DiagnosticSeverity.Error);
    }

    [Fact]
    public void AStatefulSetWithVolumeClaimTemplates_IsRefused()
    {
        var result = Imports.Of("""
            apiVersion: apps/v1
            kind: StatefulSet
            metadata: {name: db}
            spec:
              selector: {matchLabels: {app: db}}
              serviceName: db
              template:
                metadata: {labels: {app: db}}
                spec: {containers: [{name: main, image: postgres:17}]}
              volumeClaimTemplates:
              - metadata: {name: data}
                spec: {accessModes: [ReadWriteOnce]}
            """);

        Assert.Equal("spec.volumeClaimTemplates", result.Refusal().Field);
    }

    [Fact]
    public void NamesThatAreNotDnsLabels_AreMadeOne_AndSaidSo()
    {
        var result = Imports.Of(Pod("  containers: [{name: main, image: busybox:1.35}]").Replace("name: web", "name: Web_Server.v2", StringComparison.Ordinal));

        Assert.Equal("web-server-v2", Assert.Single(result.Objects).Name);
        Assert.Contains(result.Of(NoteKind.Adjusted), n => n.Field == "metadata.name" && n.Message.Contains("\"web-server-v2\"", StringComparison.Ordinal));
    }

    [Fact]
    public void TwoObjectsThatWouldBecomeTheSameGitOrchObject_AreRefused_NotOverwritten()
    {
        var pod = Pod("  containers: [{name: main, image: busybox:1.35}]");
        var result = KubernetesImporter.Import([("a.yaml", pod.Replace("name: web", "name: web\n  namespace: one", StringComparison.Ordinal)), ("b.yaml", pod)], "shared");

        var refusal = result.Refusal();
        Assert.Equal(("b.yaml", "metadata.name"), (refusal.File, refusal.Field));
        Assert.Contains("becomes Pod shared/web, as Pod one/web in a.yaml does; rename one", refusal.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void BrokenYaml_IsRefused_AtItsPosition_AndTheDocumentsBeforeItAreStillRead()
    {
        var result = Imports.Of(Pod("  containers: [{name: main, image: busybox:1.35}]") + "\n---\nkind: Pod\n  bad: [\n");

        var refusal = result.Refusal();
        Assert.Contains("YAML", refusal.Message, StringComparison.Ordinal);
        Assert.True(refusal.Line >= 8, refusal.ToString());
        Assert.Single(result.Objects);
    }
}
