using System.Text.Json.Nodes;
using GitOrch.Core.Diagnostics;
using GitOrch.Core.Loading;
using GitOrch.Core.Manifests;
using GitOrch.Core.Security;

namespace GitOrch.Core.Validation;

/// <summary>Checks inside one pod spec that a schema cannot express: unique names, references, runtime needs.</summary>
internal static class PodSpecRules
{
    /// <summary>One object's pod specs; what it reports depends on the object alone.</summary>
    public static void CheckObject(ValidationContext context, LoadedObject obj)
    {
        foreach (var (spec, prefix) in ValidationContext.PodSpecs(obj))
        {
            CheckSpec(context, obj, spec, prefix);
        }

        if (obj.Object is PinnedDeployment pd)
        {
            CheckPinnedDeployment(context, obj, pd);
        }
    }

    private static void CheckSpec(ValidationContext context, LoadedObject obj, PodSpec spec, object[] prefix)
    {
        var containerNames = new HashSet<string>(StringComparer.Ordinal);
        var portNames = new HashSet<string>(StringComparer.Ordinal);
        var volumeNames = new HashSet<string>(StringComparer.Ordinal);
        JsonObject? json = null; // parsed once, and only for a volume without an emptyDir value

        for (var v = 0; spec.Volumes is not null && v < spec.Volumes.Count; v++)
        {
            var volume = spec.Volumes[v];
            var at = Path(prefix, "volumes", v);
            if (!volumeNames.Add(volume.Name))
            {
                context.Error(obj.At([.. at, "name"]), DiagnosticCodes.DuplicateName,
                    $"{ValidationContext.Render(at)}: volume name \"{volume.Name}\" is used twice; rename one", obj);
            }

            if (volume.HostPath is { } hostPath && !Weakenings.IsNormalPath(hostPath))
            {
                context.Error(obj.ValueAt([.. at, "hostPath"]), DiagnosticCodes.BadFormat,
                    $"{ValidationContext.Render(at)}: hostPath \"{hostPath}\" is not a plain absolute path; write it without '.', '..' or '//' segments", obj);
            }

            var sources = (volume.EmptyDir is not null || IsExplicitNull(json ??= obj.Json, [.. at, "emptyDir"]) ? 1 : 0) + (volume.HostPath is not null ? 1 : 0);
            if (sources != 1)
            {
                context.Error(obj.At(at), DiagnosticCodes.Inconsistent,
                    $"{ValidationContext.Render(at)}: volume \"{volume.Name}\" needs exactly one of emptyDir or hostPath, found {sources}", obj);
            }
        }

        // Init containers and containers share one namespace of names (their logs, states and runc ids are per name).
        var lists = new[] { ("initContainers", spec.InitContainers ?? []), ("containers", spec.Containers) };
        foreach (var (list, containers) in lists)
        {
            for (var c = 0; c < containers.Count; c++)
            {
                var container = containers[c];
                var at = Path(prefix, list, c);
                if (!containerNames.Add(container.Name))
                {
                    context.Error(obj.At([.. at, "name"]), DiagnosticCodes.DuplicateName,
                        $"{ValidationContext.Render(at)}: container name \"{container.Name}\" is used twice (init containers and containers share one set of names); rename one", obj);
                }

                if (spec.Runtime != PodRuntime.Process && container.Image is null)
                {
                    context.Error(obj.At(at), DiagnosticCodes.MissingField,
                        $"{ValidationContext.Render(at)}: container \"{container.Name}\" runs on the {(spec.Runtime == PodRuntime.Gvisor ? "gvisor" : "oci")} runtime and needs an image (name:tag in the node's image store); add image", obj);
                }

                if (spec.Runtime != PodRuntime.Process && container.Image is { } image && !image.Contains(':', StringComparison.Ordinal))
                {
                    context.Error(obj.ValueAt([.. at, "image"]), DiagnosticCodes.BadFormat,
                        $"{ValidationContext.Render(at)}: image \"{image}\" has no tag; pin a version as name:tag (for example {image}:1.0), so that every version of the pod names exactly one image", obj);
                }

                if (spec.Runtime == PodRuntime.Process && container.Command is not { Count: > 0 })
                {
                    context.Error(obj.At(at), DiagnosticCodes.MissingField,
                        $"{ValidationContext.Render(at)}: container \"{container.Name}\" runs on the process runtime and needs a command; add command", obj);
                }

                for (var p = 0; container.Ports is not null && p < container.Ports.Count; p++)
                {
                    var port = container.Ports[p];
                    var portAt = Path([.. at], "ports", p);
                    if (!portNames.Add(port.Name))
                    {
                        context.Error(obj.At([.. portAt, "name"]), DiagnosticCodes.DuplicateName,
                            $"{ValidationContext.Render(portAt)}: port name \"{port.Name}\" is used twice in this pod; rename one", obj);
                    }

                    if (spec.Runtime != PodRuntime.Process && port.Port is null)
                    {
                        context.Error(obj.At(portAt), DiagnosticCodes.MissingField,
                            $"{ValidationContext.Render(portAt)}: port \"{port.Name}\" needs a port number on the oci runtime (only the process runtime allocates host ports); add port", obj);
                    }
                }

                for (var m = 0; container.VolumeMounts is not null && m < container.VolumeMounts.Count; m++)
                {
                    var mount = container.VolumeMounts[m];
                    if (spec.Volumes?.Any(v => v.Name == mount.Name) != true)
                    {
                        context.Error(obj.At([.. Path([.. at], "volumeMounts", m), "name"]), DiagnosticCodes.Inconsistent,
                            $"{ValidationContext.Render(Path([.. at], "volumeMounts", m))}: mounts volume \"{mount.Name}\", which the pod does not define; add it to volumes or fix the name", obj);
                    }

                    if (!Weakenings.IsNormalPath(mount.MountPath))
                    {
                        context.Error(obj.ValueAt([.. Path([.. at], "volumeMounts", m), "mountPath"]), DiagnosticCodes.BadFormat,
                            $"{ValidationContext.Render(Path([.. at], "volumeMounts", m))}: mountPath \"{mount.MountPath}\" is not a plain absolute path; write it without '.', '..' or '//' segments (a mount target stays inside the container's root)", obj);
                    }
                }
            }
        }

        for (var i = 0; spec.Security?.Devices is { } devices && i < devices.Count; i++)
        {
            if (!Weakenings.IsNormalPath(devices[i]))
            {
                object[] at = [.. prefix, "security", "devices", i];
                context.Error(obj.ValueAt(at), DiagnosticCodes.BadFormat,
                    $"{ValidationContext.Render(at)}: device \"{devices[i]}\" is not a plain absolute path; write it without '.', '..' or '//' segments", obj);
            }
        }

        if (spec.Security?.Capabilities is { } caps)
        {
            for (var i = 0; i < caps.Count; i++)
            {
                var cap = Weakenings.NormalizeCapability(caps[i]);
                if (!Weakenings.Capabilities.Contains(cap))
                {
                    var at = Path(prefix, "security", "capabilities", i);
                    context.Error(obj.ValueAt(at), DiagnosticCodes.BadFormat,
                        $"{ValidationContext.Render(at)}: \"{caps[i]}\" is not a Linux capability; use a name such as NET_ADMIN", obj);
                }
            }
        }
    }

    private static void CheckPinnedDeployment(ValidationContext context, LoadedObject obj, PinnedDeployment pd)
    {
        if (pd.Spec.Replicas > 0)
        {
            var longest = $"{pd.Metadata.Name}-{pd.Spec.Replicas - 1}";
            if (longest.Length > 63)
            {
                context.Error(obj.At("metadata", "name"), DiagnosticCodes.OutOfRange,
                    $"its pods would be named up to \"{longest}\", longer than 63 characters; shorten the name", obj);
            }
        }
    }

    private static object[] Path(object[] prefix, params object[] rest) => [.. prefix, .. rest];

    /// <summary>"emptyDir:" with no value is an empty emptyDir, not a missing one (read from the JSON: no rule reads the YAML tree but for a finding's position).</summary>
    private static bool IsExplicitNull(JsonObject json, object[] path)
    {
        JsonNode? node = json;
        for (var i = 0; i < path.Length; i++)
        {
            var last = i == path.Length - 1;
            switch (path[i], node)
            {
                case (string key, JsonObject map) when map.TryGetPropertyValue(key, out var child):
                    if (last)
                    {
                        return child is null;
                    }

                    node = child;
                    break;
                case (int index, JsonArray list) when index < list.Count && !last:
                    node = list[index];
                    break;
                default:
                    return false;
            }
        }

        return false;
    }
}
