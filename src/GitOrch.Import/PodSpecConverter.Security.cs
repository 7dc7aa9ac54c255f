using System.Text.Json.Nodes;
using GitOrch.Core.Manifests;
using k8s;
using k8s.Models;

namespace GitOrch.Import;

/// <summary>
/// securityContext of the pod and of every container (init and ephemeral included). GitOrch's
/// security is one block per pod: a weakening any container asks for is written into it (so that
/// `gitorch validate` names the exception it needs); a setting that only asks for what GitOrch
/// enforces is absorbed; one GitOrch cannot honour and that would weaken the sandbox is refused.
/// </summary>
internal sealed partial class PodSpecConverter
{
    private void PodSecurity(V1PodSecurityContext? security, string field)
    {
        if (security is null)
        {
            return;
        }

        var raw = ManifestJson.Parse(KubernetesJson.Serialize(security));
        foreach (var property in raw)
        {
            var at2 = $"{field}.{property.Key}";
            switch (property.Key)
            {
                case "runAsUser" or "runAsGroup":
                    break; // The default of every container: taken per container below.
                case "runAsNonRoot":
                    context.Absorbed(at2, "GitOrch runs containers as uid 65534 unless runAsUser says otherwise");
                    break;
                case "seccompProfile":
                    Seccomp(security.SeccompProfile, at2, ephemeral: false, who: "the pod");
                    break;
                case "appArmorProfile":
                    AppArmor(security.AppArmorProfile.Type, at2, "the pod");
                    break;
                case "seLinuxOptions":
                    SeLinux(security.SeLinuxOptions, at2);
                    break;
                case "windowsOptions":
                    Windows(security.WindowsOptions, at2);
                    break;
                case "sysctls":
                    foreach (var sysctl in security.Sysctls)
                    {
                        _security.Sysctl(sysctl.Name, sysctl.Value);
                    }

                    break;
                case "fsGroup" or "fsGroupChangePolicy":
                    context.Ignored(at2, "left out: GitOrch gives an emptyDir to the pod's user and group, and never changes the owner of a host path");
                    break;
                case "supplementalGroups" or "supplementalGroupsPolicy":
                    context.Ignored(at2, "left out: GitOrch containers run with no supplementary groups");
                    break;
                case "seLinuxChangePolicy":
                    context.Ignored(at2, "left out: GitOrch does not relabel volumes");
                    break;
                default:
                    UnknownField(at2, $"securityContext.{property.Key}");
                    break;
            }
        }
    }

    private void ContainerSecurity(V1SecurityContext? security, string field, V1PodSecurityContext? pod, bool ephemeral)
    {
        if (!ephemeral)
        {
            // The user and group each container runs with: its own, or the pod's.
            _security.User(security?.RunAsUser ?? pod?.RunAsUser, security?.RunAsUser is not null ? $"{field}.runAsUser" : $"{at}.securityContext.runAsUser");
            _security.Group(security?.RunAsGroup ?? pod?.RunAsGroup, security?.RunAsGroup is not null ? $"{field}.runAsGroup" : $"{at}.securityContext.runAsGroup");
        }

        if (security is null)
        {
            return;
        }

        var who = field[..^".securityContext".Length];
        var raw = ManifestJson.Parse(KubernetesJson.Serialize(security));
        foreach (var property in raw)
        {
            var at2 = $"{field}.{property.Key}";
            switch (property.Key)
            {
                case "runAsUser":
                    if (ephemeral && security.RunAsUser == 0)
                    {
                        RefuseEphemeral(at2, "root (runAsUser: 0)");
                    }

                    break;
                case "runAsGroup":
                    if (ephemeral && security.RunAsGroup == 0)
                    {
                        RefuseEphemeral(at2, "the root group (runAsGroup: 0)");
                    }

                    break;
                case "runAsNonRoot":
                    context.Absorbed(at2, "GitOrch runs containers as uid 65534 unless runAsUser says otherwise");
                    break;
                case "allowPrivilegeEscalation":
                    Flag(security.AllowPrivilegeEscalation == true, "allowPrivilegeEscalation", true, at2, ephemeral, "privilege escalation", "GitOrch sets no_new_privs on every container");
                    break;
                case "privileged":
                    Flag(security.Privileged == true, "privileged", true, at2, ephemeral, "a privileged container", "GitOrch containers are never privileged unless asked");
                    break;
                case "readOnlyRootFilesystem":
                    Flag(security.ReadOnlyRootFilesystem == false, "readOnlyRootFilesystem", false, at2, ephemeral, "a writable root filesystem", "GitOrch mounts every root filesystem read-only");
                    break;
                case "procMount":
                    Flag(security.ProcMount == "Unmasked", "procMount", "Unmasked", at2, ephemeral, "an unmasked /proc", "GitOrch masks /proc by default");
                    break;
                case "capabilities":
                    Capabilities(security.Capabilities, at2, ephemeral);
                    break;
                case "seccompProfile":
                    Seccomp(security.SeccompProfile, at2, ephemeral, who);
                    break;
                case "appArmorProfile":
                    AppArmor(security.AppArmorProfile.Type, at2, who);
                    break;
                case "seLinuxOptions":
                    SeLinux(security.SeLinuxOptions, at2);
                    break;
                case "windowsOptions":
                    Windows(security.WindowsOptions, at2);
                    break;
                default:
                    UnknownField(at2, $"securityContext.{property.Key}");
                    break;
            }
        }
    }

    private void Flag(bool weakens, string name, JsonNode value, string field, bool ephemeral, string what, string absorbed)
    {
        if (!weakens)
        {
            context.Absorbed(field, absorbed);
        }
        else if (ephemeral)
        {
            RefuseEphemeral(field, what);
        }
        else
        {
            _security.Set(name, value);
        }
    }

    private void Capabilities(V1Capabilities capabilities, string field, bool ephemeral)
    {
        if (capabilities.Drop is { Count: > 0 })
        {
            context.Absorbed($"{field}.drop", "GitOrch drops every capability");
        }

        foreach (var add in capabilities.Add ?? [])
        {
            var name = add.StartsWith("CAP_", StringComparison.Ordinal) ? add[4..] : add;
            if (ephemeral && name != "NET_BIND_SERVICE")
            {
                RefuseEphemeral($"{field}.add", $"capability {name}");
                continue;
            }

            _security.Capability(name);
        }
    }

    private void Seccomp(V1SeccompProfile profile, string field, bool ephemeral, string who)
    {
        switch (profile.Type)
        {
            case "RuntimeDefault":
                context.Absorbed(field, "GitOrch applies its runtime-default seccomp filter to every oci container");
                break;
            case "Unconfined" when ephemeral:
                RefuseEphemeral(field, "no seccomp filter");
                break;
            case "Unconfined":
                _security.Set("seccomp", "Unconfined");
                break;
            default:
                context.Refused(field, $"{who} asks for the seccomp profile {profile.Type} {profile.LocalhostProfile}; GitOrch cannot load a custom profile: remove it (GitOrch's runtime-default filter applies) or use RuntimeDefault");
                break;
        }
    }

    private void AppArmor(string type, string field, string who)
    {
        if (type == "RuntimeDefault")
        {
            context.Absorbed(field, "GitOrch confines containers with its own defaults");
        }
        else
        {
            context.Refused(field, $"{who} asks for the AppArmor profile {type}; GitOrch cannot honour an unconfined or custom AppArmor profile: remove it, or use RuntimeDefault");
        }
    }

    /// <summary>The beta annotations <c>container.apparmor.security.beta.kubernetes.io/NAME</c>, for the containers this pod has.</summary>
    private void AppArmorAnnotations(V1PodSpec spec)
    {
        var names = spec.Containers.Select(c => c.Name).Concat(spec.InitContainers?.Select(c => c.Name) ?? []).Concat(spec.EphemeralContainers?.Select(c => c.Name) ?? []).ToHashSet(StringComparer.Ordinal);
        foreach (var (key, value) in annotations ?? new Dictionary<string, string>())
        {
            if (!key.StartsWith(AppArmorAnnotation, StringComparison.Ordinal))
            {
                continue;
            }

            var container = key[AppArmorAnnotation.Length..];
            var field = $"{annotationsAt}.{key}";
            if (!names.Contains(container))
            {
                context.Ignored(field, $"left out: the pod has no container {container}, so the annotation applies to nothing");
            }
            else if (value == "runtime/default")
            {
                context.Absorbed(field, "GitOrch confines containers with its own defaults");
            }
            else
            {
                context.Refused(field, $"container {container} asks for the AppArmor profile {value}; GitOrch cannot honour an unconfined or custom AppArmor profile: remove the annotation, or use runtime/default");
            }
        }
    }

    private void SeLinux(V1SELinuxOptions options, string field)
    {
        if (!string.IsNullOrEmpty(options.User) || !string.IsNullOrEmpty(options.Role))
        {
            context.Refused(field, $"SELinux {(string.IsNullOrEmpty(options.User) ? "role " + options.Role : "user " + options.User)} goes beyond the container types; GitOrch cannot honour it: remove seLinuxOptions.user and .role");
        }
        else if (!string.IsNullOrEmpty(options.Type) && !SafeSeLinuxTypes.Contains(options.Type))
        {
            context.Refused($"{field}.type", $"SELinux type {options.Type} is not a container type (container_t, container_init_t, container_kvm_t, container_engine_t); GitOrch cannot honour it: remove it");
        }
        else
        {
            context.Absorbed(field, "a container SELinux type or level only confines; GitOrch's namespaces, user namespace and seccomp confine the container");
        }
    }

    private void Windows(V1WindowsSecurityContextOptions options, string field)
    {
        if (options.HostProcess == true)
        {
            context.Refused($"{field}.hostProcess", "a Windows hostProcess container runs on the host itself; GitOrch runs sandboxed Linux containers: remove it");
        }
        else if (ManifestJson.Parse(KubernetesJson.Serialize(options)).Count > 0)
        {
            context.Ignored(field, "left out: Windows options do not apply to GitOrch's Linux containers");
        }
    }

    private void RefuseEphemeral(string field, string what) =>
        context.Refused(field, $"an ephemeral container asks for {what}; GitOrch does not carry ephemeral containers over, so the weakening would apply to no container it runs: remove it from the manifest");
}
