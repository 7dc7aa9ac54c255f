using System.Globalization;
using System.Text.RegularExpressions;
using System.Text.Json.Nodes;
using GitOrch.Core.Manifests;
using k8s;
using k8s.Models;

namespace GitOrch.Import;

/// <summary>
/// A Kubernetes pod spec → a GitOrch pod spec. Every field of the input is accounted for: mapped,
/// absorbed (GitOrch enforces it anyway), ignored (no counterpart, nothing weakened), or refused
/// (cannot be honoured without weakening the sandbox or changing what runs). A field this converter
/// does not know is refused: a new Kubernetes setting is never dropped silently.
/// </summary>
internal sealed partial class PodSpecConverter(ImportContext context, string at, IReadOnlyDictionary<string, string>? annotations, string annotationsAt)
{
    private static readonly Dictionary<string, string> IgnoredPodFields = new(StringComparer.Ordinal)
    {
        ["affinity"] = "GitOrch's scheduler places by resources and nodeSelector only",
        ["tolerations"] = "GitOrch nodes have no taints",
        ["topologySpreadConstraints"] = "GitOrch's scheduler places by resources and nodeSelector only",
        ["priorityClassName"] = "GitOrch has no pod priorities",
        ["priority"] = "GitOrch has no pod priorities",
        ["preemptionPolicy"] = "GitOrch has no preemption",
        ["schedulerName"] = "GitOrch has one scheduler",
        ["schedulingGates"] = "GitOrch has no scheduling gates",
        ["nodeName"] = "GitOrch's scheduler places every pod; pin it with nodeSelector and node labels",
        ["dnsPolicy"] = "GitOrch pods have no cluster DNS; they reach each other by IPv6 address",
        ["dnsConfig"] = "GitOrch pods have no cluster DNS",
        ["hostname"] = "a GitOrch pod's hostname is its name",
        ["subdomain"] = "GitOrch pods have no cluster DNS",
        ["setHostnameAsFQDN"] = "GitOrch pods have no cluster DNS",
        ["hostAliases"] = "GitOrch does not write /etc/hosts entries",
        ["serviceAccountName"] = "GitOrch pods get no API credentials",
        ["serviceAccount"] = "GitOrch pods get no API credentials",
        ["automountServiceAccountToken"] = "GitOrch pods get no API credentials",
        ["enableServiceLinks"] = "GitOrch has no Services",
        ["imagePullSecrets"] = "images come from the node's image store (`gitorch image import`)",
        ["readinessGates"] = "GitOrch has no readiness gates",
        ["activeDeadlineSeconds"] = "GitOrch has no pod deadlines",
        ["overhead"] = "GitOrch reserves the containers' requests only",
        ["runtimeClassName"] = "choose the GitOrch runtime with spec.runtime",
        ["shareProcessNamespace"] = "each GitOrch container has its own PID namespace",
        ["os"] = "GitOrch runs Linux containers",
        ["resourceClaims"] = "GitOrch has no dynamic resource claims",
        ["resources"] = "GitOrch reserves the containers' requests",
        ["hostnameOverride"] = "a GitOrch pod's hostname is its name",
    };

    private static readonly Dictionary<string, string> IgnoredContainerFields = new(StringComparer.Ordinal)
    {
        ["imagePullPolicy"] = "images come from the node's image store",
        ["livenessProbe"] = "GitOrch restarts a container when it exits; it has no probes",
        ["readinessProbe"] = "GitOrch has no probes",
        ["startupProbe"] = "GitOrch has no probes",
        ["lifecycle"] = "GitOrch has no lifecycle hooks; stopping is SIGTERM, the grace period, then SIGKILL",
        ["terminationMessagePath"] = "the last output lines are in `gitorch why` and `gitorch logs`",
        ["terminationMessagePolicy"] = "the last output lines are in `gitorch why` and `gitorch logs`",
        ["stdin"] = "GitOrch containers have no stdin",
        ["stdinOnce"] = "GitOrch containers have no stdin",
        ["tty"] = "GitOrch containers have no terminal",
        ["resizePolicy"] = "a change of resources restarts the pod in place",
        ["restartPolicyRules"] = "the pod's restartPolicy applies",
        ["stopSignal"] = "GitOrch stops with SIGTERM",
    };

    private static readonly HashSet<string> SafeSeLinuxTypes = new(StringComparer.Ordinal) { "container_t", "container_init_t", "container_kvm_t", "container_engine_t" };

    private const string AppArmorAnnotation = "container.apparmor.security.beta.kubernetes.io/";

    private readonly SecurityBuilder _security = new();
    private readonly HashSet<string> _portNames = new(StringComparer.Ordinal);

    /// <summary>Converts the pod spec at <c>at</c>; null when nothing could be made of it (the notes say why).</summary>
    public JsonObject Convert(V1PodSpec spec)
    {
        var raw = ManifestJson.Parse(KubernetesJson.Serialize(spec));
        var result = new JsonObject();
        foreach (var property in raw)
        {
            var field = $"{at}.{property.Key}";
            switch (property.Key)
            {
                case "containers" or "initContainers" or "ephemeralContainers" or "volumes" or "securityContext":
                    break; // Below.
                case "restartPolicy":
                    result["restartPolicy"] = spec.RestartPolicy;
                    break;
                case "nodeSelector":
                    result["nodeSelector"] = ManifestJson.ObjectOf(spec.NodeSelector);
                    break;
                case "terminationGracePeriodSeconds":
                    result["terminationGracePeriodSeconds"] = spec.TerminationGracePeriodSeconds;
                    break;
                case "hostNetwork" or "hostPID" or "hostIPC" or "hostUsers":
                    HostFlag(property.Key, property.Value!.GetValue<bool>(), field);
                    break;
                default:
                    UnknownField(field, property.Key, IgnoredPodFields);
                    break;
            }
        }

        PodSecurity(spec.SecurityContext, $"{at}.securityContext");
        var inits = new JsonArray();
        var containers = new JsonArray();
        for (var i = 0; spec.InitContainers is not null && i < spec.InitContainers.Count; i++)
        {
            var init = spec.InitContainers[i];
            var field = $"{at}.initContainers[{i}]";
            var converted = Container(init, field, spec);
            if (init.RestartPolicy == "Always")
            {
                // A sidecar: it starts before the containers and keeps running beside them. GitOrch starts containers together.
                context.Adjusted($"{field}.restartPolicy", "a sidecar init container (restartPolicy Always) becomes a container of the pod: GitOrch starts the containers together, after the init containers");
                containers.Add(converted);
            }
            else
            {
                inits.Add(converted);
            }
        }

        for (var i = 0; i < spec.Containers.Count; i++)
        {
            containers.Add(Container(spec.Containers[i], $"{at}.containers[{i}]", spec));
        }

        for (var i = 0; spec.EphemeralContainers is not null && i < spec.EphemeralContainers.Count; i++)
        {
            Ephemeral(spec.EphemeralContainers[i], $"{at}.ephemeralContainers[{i}]", spec);
        }

        AppArmorAnnotations(spec);
        if (inits.Count > 0)
        {
            result["initContainers"] = inits;
        }

        result["containers"] = containers;
        if (spec.Volumes is { Count: > 0 } volumes)
        {
            var converted = new JsonArray();
            for (var i = 0; i < volumes.Count; i++)
            {
                if (Volume(volumes[i], $"{at}.volumes[{i}]") is { } volume)
                {
                    converted.Add(volume);
                }
            }

            result["volumes"] = converted;
        }

        if (_security.Build(context, at) is { Count: > 0 } security)
        {
            result["security"] = security; // Only what weakens the maximum sandbox; nothing at all means the maximum.
        }

        return result;
    }

    /// <summary>A field none of the cases knows: left out when <paramref name="ignored"/> says why it does not matter, refused otherwise.</summary>
    private void UnknownField(string field, string name, IReadOnlyDictionary<string, string>? ignored = null)
    {
        if (ignored is not null && ignored.TryGetValue(name, out var why))
        {
            context.Ignored(field, $"left out: {why}");
        }
        else
        {
            context.Refused(field, $"GitOrch does not know what {name} asks for, so it cannot carry it over safely; remove it or convert the pod by hand");
        }
    }

    private void HostFlag(string name, bool value, string field)
    {
        if (name == "hostUsers")
        {
            if (value)
            {
                _security.Set("hostUsers", true);
            }
            else
            {
                context.Absorbed(field, "GitOrch gives every oci pod a user namespace");
            }

            return;
        }

        if (value)
        {
            _security.Set(name, true);
        }
        else
        {
            context.Absorbed(field, $"GitOrch pods never share the host's {name[4..]} namespace unless asked");
        }
    }

    private JsonObject Container(V1Container container, string field, V1PodSpec spec)
    {
        var raw = ManifestJson.Parse(KubernetesJson.Serialize(container));
        var result = new JsonObject { ["name"] = container.Name };
        foreach (var property in raw)
        {
            var at2 = $"{field}.{property.Key}";
            switch (property.Key)
            {
                case "name" or "securityContext" or "restartPolicy":
                    break;
                case "image":
                    if (Image(container.Image, at2) is { } image)
                    {
                        result["image"] = image;
                    }

                    break;
                case "command":
                    result["command"] = ManifestJson.ArrayOf(container.Command);
                    break;
                case "args":
                    result["args"] = ManifestJson.ArrayOf(container.Args);
                    break;
                case "workingDir":
                    result["workingDir"] = container.WorkingDir;
                    break;
                case "env":
                    result["env"] = Env(container.Env, at2);
                    break;
                case "envFrom":
                    context.Refused(at2, "GitOrch has no ConfigMaps or Secrets to take variables from; write each variable under env with a literal value");
                    break;
                case "ports":
                    result["ports"] = Ports(container.Ports, at2);
                    break;
                case "resources":
                    if (Resources(container.Resources, at2) is { } resources)
                    {
                        result["resources"] = resources;
                    }

                    break;
                case "volumeMounts":
                    result["volumeMounts"] = Mounts(container.VolumeMounts, at2);
                    break;
                case "volumeDevices":
                    context.Refused(at2, "GitOrch has no block volumes; a raw device is a host device (exception device:<path>): write it under spec.security.devices by hand if the node really must expose it");
                    break;
                default:
                    UnknownField(at2, property.Key, IgnoredContainerFields);
                    break;
            }
        }

        if (container.Command is not { Count: > 0 })
        {
            context.Adjusted(field, $"container {container.Name} has no command: GitOrch images carry no entrypoint, so add the image's entrypoint as command before it runs");
        }

        ContainerSecurity(container.SecurityContext, $"{field}.securityContext", spec.SecurityContext, ephemeral: false);
        return result;
    }

    private void Ephemeral(V1EphemeralContainer container, string field, V1PodSpec spec)
    {
        context.Ignored(field, $"ephemeral container {container.Name} left out: GitOrch adds no debug containers to a pod (use `gitorch logs` and `gitorch why`)");
        ContainerSecurity(container.SecurityContext, $"{field}.securityContext", spec.SecurityContext, ephemeral: true);
    }

    private string? Image(string image, string field)
    {
        if (image.Contains('@', StringComparison.Ordinal))
        {
            context.Refused(field, $"image {image} is named by digest; GitOrch names images name:tag in the node's image store: import it under a tag (`gitorch image import NAME:TAG PATH`) and write that");
            return null;
        }

        var slash = image.LastIndexOf('/');
        if (image.IndexOf(':', slash + 1) < 0)
        {
            context.Adjusted(field, $"image {image} has no tag (Kubernetes reads it as :latest): written as {image}:latest; pin a version");
            return image + ":latest";
        }

        return image;
    }

    private JsonObject Env(IList<V1EnvVar> env, string field)
    {
        var result = new JsonObject();
        for (var i = 0; i < env.Count; i++)
        {
            var variable = env[i];
            if (variable.ValueFrom is not null)
            {
                context.Refused($"{field}[{i}].valueFrom", $"variable {variable.Name} takes its value from {Describe(variable.ValueFrom)}; GitOrch has no ConfigMaps, Secrets or downward API: write the value literally (secrets belong in the image or a hostPath the policy permits)");
                continue;
            }

            result[variable.Name] = variable.Value ?? string.Empty;
        }

        return result;
    }

    private static string Describe(V1EnvVarSource source) =>
        source.SecretKeyRef is not null ? "a Secret" : source.ConfigMapKeyRef is not null ? "a ConfigMap" : source.FieldRef is not null ? $"the pod's field {source.FieldRef.FieldPath}" : "the pod's resources";

    private JsonArray Ports(IList<V1ContainerPort> ports, string field)
    {
        var result = new JsonArray();
        for (var i = 0; i < ports.Count; i++)
        {
            var port = ports[i];
            var at2 = $"{field}[{i}]";
            if (port.HostPort is > 0)
            {
                context.Refused($"{at2}.hostPort", $"hostPort {port.HostPort} binds a port on the node itself; GitOrch gives each oci pod its own IPv6 address (and the process runtime allocates host ports): remove hostPort and reach the pod at its address");
            }

            if (!string.IsNullOrEmpty(port.HostIP))
            {
                context.Refused($"{at2}.hostIP", "hostIP binds a node address; GitOrch pods listen on their own address: remove it");
            }

            if (port.Protocol is { } protocol && protocol != "TCP" && protocol != "UDP")
            {
                context.Refused($"{at2}.protocol", $"protocol {protocol} is not one GitOrch forwards (TCP, UDP)");
            }

            var name = port.Name;
            if (name is null || !PortName().IsMatch(name) || !_portNames.Add(name))
            {
                var made = $"port-{port.ContainerPort.ToString(CultureInfo.InvariantCulture)}";
                for (var n = 2; !_portNames.Add(made); n++)
                {
                    made = $"port-{port.ContainerPort.ToString(CultureInfo.InvariantCulture)}-{n.ToString(CultureInfo.InvariantCulture)}";
                }

                context.Adjusted(at2, name is null ? $"port {port.ContainerPort} has no name; GitOrch ports are named: written as {made}" : $"port name {name} is not a GitOrch port name (or is used twice): written as {made}");
                name = made;
            }

            var converted = new JsonObject { ["name"] = name, ["port"] = port.ContainerPort };
            if (port.Protocol is "UDP")
            {
                converted["protocol"] = "UDP";
            }

            result.Add(converted);
        }

        return result;
    }

    private JsonObject? Resources(V1ResourceRequirements resources, string field)
    {
        var result = new JsonObject();
        foreach (var name in new[] { "cpu", "memory" })
        {
            if (resources.Requests?.TryGetValue(name, out var request) == true)
            {
                result[name] = request.ToString();
            }
            else if (resources.Limits?.TryGetValue(name, out var limit) == true)
            {
                result[name] = limit.ToString(); // Kubernetes requests default to the limits.
            }
        }

        if (resources.Limits is { Count: > 0 })
        {
            context.Ignored($"{field}.limits", "GitOrch reserves requests and limits a container to them (the limits are not written separately)");
        }

        foreach (var other in (resources.Requests?.Keys ?? []).Concat(resources.Limits?.Keys ?? []).Where(k => k is not ("cpu" or "memory")).Distinct())
        {
            context.Ignored($"{field}", $"resource {other} left out: GitOrch reserves cpu and memory only");
        }

        if (resources.Claims is { Count: > 0 })
        {
            context.Ignored($"{field}.claims", "GitOrch has no dynamic resource claims");
        }

        return result.Count > 0 ? result : null;
    }

    private JsonArray Mounts(IList<V1VolumeMount> mounts, string field)
    {
        var result = new JsonArray();
        for (var i = 0; i < mounts.Count; i++)
        {
            var mount = mounts[i];
            var at2 = $"{field}[{i}]";
            if (!string.IsNullOrEmpty(mount.SubPath) || !string.IsNullOrEmpty(mount.SubPathExpr))
            {
                context.Refused($"{at2}.{(string.IsNullOrEmpty(mount.SubPath) ? "subPathExpr" : "subPath")}", "GitOrch mounts whole volumes; mount the volume and use the folder inside it");
            }

            if (mount.MountPropagation is "Bidirectional" or "HostToContainer")
            {
                context.Refused($"{at2}.mountPropagation", $"mount propagation {mount.MountPropagation} shares mounts with the host; GitOrch never does: remove it");
            }
            else if (mount.MountPropagation is not null)
            {
                context.Absorbed($"{at2}.mountPropagation", "GitOrch mounts never propagate");
            }

            if (mount.RecursiveReadOnly is not null)
            {
                context.Ignored($"{at2}.recursiveReadOnly", "GitOrch read-only mounts are read-only; nested mounts do not exist in its volumes");
            }

            var converted = new JsonObject { ["name"] = mount.Name, ["mountPath"] = mount.MountPath };
            if (mount.ReadOnlyProperty == true)
            {
                converted["readOnly"] = true;
            }

            result.Add(converted);
        }

        return result;
    }

    private JsonObject? Volume(V1Volume volume, string field)
    {
        var raw = ManifestJson.Parse(KubernetesJson.Serialize(volume));
        var source = raw.Select(p => p.Key).FirstOrDefault(n => n != "name");
        switch (source)
        {
            case "emptyDir":
                var empty = new JsonObject();
                if (volume.EmptyDir.SizeLimit is { } size)
                {
                    empty["sizeLimit"] = size.ToString();
                }

                if (volume.EmptyDir.Medium is { Length: > 0 } medium)
                {
                    context.Ignored($"{field}.emptyDir.medium", $"medium {medium} left out: a GitOrch emptyDir is a folder under the agent's state");
                }

                return new JsonObject { ["name"] = volume.Name, ["emptyDir"] = empty };
            case "hostPath":
                if (volume.HostPath.Type is { Length: > 0 } type)
                {
                    context.Ignored($"{field}.hostPath.type", $"type {type} left out: GitOrch checks nothing about the host path and never creates or changes it");
                }

                return new JsonObject { ["name"] = volume.Name, ["hostPath"] = volume.HostPath.Path }; // A weakening: validate names hostPath:<path>.
            case "configMap" or "secret" or "downwardAPI" or "projected":
                context.Refused($"{field}.{source}", $"volume {volume.Name} is a {source} volume; GitOrch has no ConfigMaps, Secrets or downward API: put the files in the image, or in a hostPath the policy permits");
                return null;
            case null:
                context.Refused(field, $"volume {volume.Name} names no source");
                return null;
            default:
                context.Refused($"{field}.{source}", $"volume {volume.Name} is a {source} volume, which mounts storage through the node (an unsafe volume type for a sandboxed pod); GitOrch has only emptyDir and hostPath: mount the storage on the node and use a hostPath the policy permits, or a ControlLoop that provides it");
                return null;
        }
    }

    [GeneratedRegex("^[a-z]([-a-z0-9]*[a-z0-9])?$")]
    private static partial Regex PortName();
}
