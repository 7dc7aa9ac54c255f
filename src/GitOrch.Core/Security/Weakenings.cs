using GitOrch.Core.Manifests;

namespace GitOrch.Core.Security;

/// <summary>
/// The security table of the design, as code: what each pod-spec field weakens and which
/// ClusterPolicy exception permits it. Anything not listed here is the maximum sandbox.
/// </summary>
public static class Weakenings
{
    public const string RuntimeProcess = "runtime:process";
    public const string RunAsRoot = "runAsRoot";
    public const string PrivilegeEscalation = "privilegeEscalation";
    public const string SeccompUnconfined = "seccomp:unconfined";
    public const string HostUsers = "hostUsers";
    public const string WritableRootFilesystem = "writableRootFilesystem";
    public const string HostNetwork = "hostNetwork";
    public const string HostPid = "hostPID";
    public const string HostIpc = "hostIPC";
    public const string Privileged = "privileged";
    public const string ProcMount = "procMount";
    public const string CapabilityPrefix = "capability:";
    public const string DevicePrefix = "device:";
    public const string HostPathPrefix = "hostPath:";
    public const string SysctlPrefix = "sysctl:";

    /// <summary>Exception names without a parameter.</summary>
    public static IReadOnlyList<string> Simple { get; } =
        [RuntimeProcess, RunAsRoot, PrivilegeEscalation, SeccompUnconfined, HostUsers, WritableRootFilesystem, HostNetwork, HostPid, HostIpc, Privileged, ProcMount];

    /// <summary>Prefixes of exception names that take a parameter.</summary>
    public static IReadOnlyList<string> Parameterised { get; } = [CapabilityPrefix, DevicePrefix, HostPathPrefix, SysctlPrefix];

    /// <summary>Capabilities a pod may add without an exception.</summary>
    public static IReadOnlySet<string> FreeCapabilities { get; } = new HashSet<string>(StringComparer.Ordinal) { "NET_BIND_SERVICE" };

    /// <summary>The Kubernetes "safe" sysctl set: namespaced, and harmless to neighbours.</summary>
    public static IReadOnlySet<string> SafeSysctls { get; } = new HashSet<string>(StringComparer.Ordinal)
    {
        "kernel.shm_rmid_forced",
        "net.ipv4.ip_local_port_range",
        "net.ipv4.ip_unprivileged_port_start",
        "net.ipv4.tcp_syncookies",
        "net.ipv4.ping_group_range",
        "net.ipv4.ip_local_reserved_ports",
        "net.ipv4.tcp_keepalive_time",
        "net.ipv4.tcp_fin_timeout",
        "net.ipv4.tcp_keepalive_intvl",
        "net.ipv4.tcp_keepalive_probes",
    };

    /// <summary>Linux capability names (without CAP_).</summary>
    public static IReadOnlySet<string> Capabilities { get; } = new HashSet<string>(StringComparer.Ordinal)
    {
        "AUDIT_CONTROL", "AUDIT_READ", "AUDIT_WRITE", "BLOCK_SUSPEND", "BPF", "CHECKPOINT_RESTORE", "CHOWN",
        "DAC_OVERRIDE", "DAC_READ_SEARCH", "FOWNER", "FSETID", "IPC_LOCK", "IPC_OWNER", "KILL", "LEASE",
        "LINUX_IMMUTABLE", "MAC_ADMIN", "MAC_OVERRIDE", "MKNOD", "NET_ADMIN", "NET_BIND_SERVICE", "NET_BROADCAST",
        "NET_RAW", "PERFMON", "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_ADMIN", "SYS_BOOT", "SYS_CHROOT",
        "SYS_MODULE", "SYS_NICE", "SYS_PACCT", "SYS_PTRACE", "SYS_RAWIO", "SYS_RESOURCE", "SYS_TIME",
        "SYS_TTY_CONFIG", "SYSLOG", "WAKE_ALARM",
    };

    /// <summary>"CAP_net_admin" → "NET_ADMIN".</summary>
    public static string NormalizeCapability(string name)
    {
        var upper = name.ToUpperInvariant();
        return upper.StartsWith("CAP_", StringComparison.Ordinal) ? upper[4..] : upper;
    }

    /// <summary>Every weakening a pod spec asks for, in field order.</summary>
    public static IEnumerable<Weakening> Of(PodSpec spec)
    {
        if (spec.Runtime == PodRuntime.Process)
        {
            yield return new(RuntimeProcess, ["runtime"], "runs on the process runtime (no container sandbox)");
        }

        if (spec.Volumes is { } volumes)
        {
            for (var i = 0; i < volumes.Count; i++)
            {
                if (volumes[i].HostPath is { } hostPath)
                {
                    yield return new(HostPathPrefix + hostPath, ["volumes", i, "hostPath"], $"mounts the host folder {hostPath}");
                }
            }
        }

        if (spec.Security is { } security)
        {
            foreach (var weakening in Of(security))
            {
                yield return weakening;
            }
        }
    }

    /// <summary>
    /// Every weakening a <c>security</c> block asks for (a pod's, or a ControlLoop's for its exec
    /// sandbox), with fields relative to the spec that holds it.
    /// </summary>
    public static IEnumerable<Weakening> Of(PodSecurity s)
    {
        if (s.RunAsUser == 0)
        {
            yield return new(RunAsRoot, ["security", "runAsUser"], "runs as root (runAsUser: 0)");
        }

        if (s.RunAsGroup == 0)
        {
            yield return new(RunAsRoot, ["security", "runAsGroup"], "runs with the root group (runAsGroup: 0)");
        }

        if (s.AllowPrivilegeEscalation == true)
        {
            yield return new(PrivilegeEscalation, ["security", "allowPrivilegeEscalation"], "allows privilege escalation (no no_new_privs)");
        }

        if (s.Capabilities is { } caps)
        {
            for (var i = 0; i < caps.Count; i++)
            {
                var cap = NormalizeCapability(caps[i]);
                if (!FreeCapabilities.Contains(cap) && Capabilities.Contains(cap))
                {
                    yield return new(CapabilityPrefix + cap, ["security", "capabilities", i], $"adds the capability {cap}");
                }
            }
        }

        if (s.Seccomp == SeccompMode.Unconfined)
        {
            yield return new(SeccompUnconfined, ["security", "seccomp"], "turns seccomp off");
        }

        if (s.HostUsers == true)
        {
            yield return new(HostUsers, ["security", "hostUsers"], "shares the host's users (no user namespace)");
        }

        if (s.ReadOnlyRootFilesystem == false)
        {
            yield return new(WritableRootFilesystem, ["security", "readOnlyRootFilesystem"], "makes the root filesystem writable");
        }

        if (s.HostNetwork == true)
        {
            yield return new(HostNetwork, ["security", "hostNetwork"], "uses the host's network namespace");
        }

        if (s.HostPID == true)
        {
            yield return new(HostPid, ["security", "hostPID"], "uses the host's PID namespace");
        }

        if (s.HostIPC == true)
        {
            yield return new(HostIpc, ["security", "hostIPC"], "uses the host's IPC namespace");
        }

        if (s.Privileged == true)
        {
            yield return new(Privileged, ["security", "privileged"], "runs privileged");
        }

        if (s.Devices is { } devices)
        {
            for (var i = 0; i < devices.Count; i++)
            {
                yield return new(DevicePrefix + devices[i], ["security", "devices", i], $"exposes the device {devices[i]}");
            }
        }

        if (s.Sysctls is { } sysctls)
        {
            foreach (var name in sysctls.Keys)
            {
                if (!SafeSysctls.Contains(name))
                {
                    yield return new(SysctlPrefix + name, ["security", "sysctls", name], $"sets the unsafe sysctl {name}");
                }
            }
        }

        if (s.ProcMount == ProcMountMode.Unmasked)
        {
            yield return new(ProcMount, ["security", "procMount"], "unmasks /proc");
        }
    }

    /// <summary>Whether an exception name in a policy permits a requested weakening.</summary>
    public static bool Permits(string exception, string requested)
    {
        if (exception == requested)
        {
            return true;
        }

        if (exception.StartsWith(CapabilityPrefix, StringComparison.Ordinal) && requested.StartsWith(CapabilityPrefix, StringComparison.Ordinal))
        {
            return NormalizeCapability(exception[CapabilityPrefix.Length..]) == requested[CapabilityPrefix.Length..];
        }

        if (exception.StartsWith(HostPathPrefix, StringComparison.Ordinal) && requested.StartsWith(HostPathPrefix, StringComparison.Ordinal))
        {
            // hostPath:/srv permits /srv and anything below it (on a path-segment boundary).
            var allowed = exception[HostPathPrefix.Length..].TrimEnd('/');
            var wanted = requested[HostPathPrefix.Length..].TrimEnd('/');
            if (!IsNormalPath(wanted) || !IsNormalPath(allowed.Length == 0 ? "/" : allowed))
            {
                return false; // "/srv/data/../../etc" must never match "/srv/data".
            }

            return allowed.Length == 0 || wanted == allowed || wanted.StartsWith(allowed + "/", StringComparison.Ordinal);
        }

        return false;
    }

    /// <summary>An absolute path with no ".", ".." or empty segments: what hostPath and device paths must be.</summary>
    public static bool IsNormalPath(string path) =>
        path.StartsWith('/') && (path == "/" || path[1..].TrimEnd('/').Split('/').All(s => s.Length > 0 && s != "." && s != ".."));

    /// <summary>Whether a name is a valid exception; when not, a hint at what it should be.</summary>
    public static bool IsKnownException(string name, out string? hint)
    {
        hint = null;
        if (Simple.Contains(name))
        {
            return true;
        }

        if (name.StartsWith(CapabilityPrefix, StringComparison.Ordinal))
        {
            var cap = NormalizeCapability(name[CapabilityPrefix.Length..]);
            if (Capabilities.Contains(cap))
            {
                return true;
            }

            hint = $"\"{cap}\" is not a Linux capability";
            return false;
        }

        if (name.StartsWith(HostPathPrefix, StringComparison.Ordinal) || name.StartsWith(DevicePrefix, StringComparison.Ordinal))
        {
            var path = name[(name.IndexOf(':', StringComparison.Ordinal) + 1)..];
            if (IsNormalPath(path))
            {
                return true;
            }

            hint = "the path must be absolute, without '.', '..' or empty segments";
            return false;
        }

        if (name.StartsWith(SysctlPrefix, StringComparison.Ordinal) && name.Length > SysctlPrefix.Length)
        {
            return true;
        }

        var suggestion = Schema.SchemaValidator.Suggest(name, Simple);
        hint = suggestion is not null
            ? $"did you mean \"{suggestion}\"?"
            : $"known exceptions: {string.Join(", ", Simple)}, capability:<NAME>, device:<path>, hostPath:<path>, sysctl:<name>";
        return false;
    }
}
