using System.Collections.Concurrent;
using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using GitOrch.Agent.Native;
using GitOrch.Agent.Network;
using GitOrch.Core.Manifests;
using GitOrch.Core.Security;

namespace GitOrch.Agent.Runtimes;

/// <summary>
/// The <c>oci</c> runtime: generates an OCI runtime spec and runs it with runc. The defaults are the
/// maximum sandbox: uid 65534, no_new_privs, every capability dropped, the runtime-default seccomp
/// filter, a user namespace, a read-only root with a writable /tmp, masked and read-only /proc
/// paths, no devices, no host mounts, its own network namespace. Each weakening appears only as the
/// pod's validated request says (validation has already checked the ClusterPolicy exception).
/// </summary>
public sealed class RuncDriver(string scope = "", NodeNetworking? network = null, bool gvisor = false) : IRuntimeDriver
{
    private readonly NodeNetworking _network = network ?? new NodeNetworking(scope);
    private readonly ConcurrentDictionary<string, string> _pods = new(StringComparer.Ordinal);

    public const long NobodyUid = 65534;
    public const long UserNamespaceBase = 100000;
    public const long UserNamespaceSize = 65536;

    /// <summary>
    /// The <c>gvisor</c> runtime: the same OCI bundle under gVisor's <c>runsc</c> (Debian's package),
    /// with the ptrace platform (no KVM needed): the container's system calls go to gVisor's own
    /// kernel in user space instead of the host's, a stronger sandbox than runc's.
    /// </summary>
    public static RuncDriver Gvisor(string scope = "", NodeNetworking? network = null) => new(scope, network, gvisor: true);

    public string Name => gvisor ? "gvisor" : "oci";

    public static string? RuncPath => new[] { "/usr/sbin/runc", "/usr/bin/runc", "/usr/local/sbin/runc", "/usr/local/bin/runc" }.FirstOrDefault(File.Exists);

    public static string? RunscPath => new[] { "/usr/sbin/runsc", "/usr/bin/runsc", "/usr/local/sbin/runsc", "/usr/local/bin/runsc" }.FirstOrDefault(File.Exists);

    private string Tool => gvisor ? "runsc" : "runc";

    private string? Binary => gvisor ? RunscPath : RuncPath;

    /// <summary>The runtime's global flags: its state root (one per runtime), and for runsc the ptrace platform.</summary>
    private IReadOnlyList<string> Globals => gvisor ? ["--root", RunscRoot, "--platform=ptrace"] : ["--root", RuncRoot];

    public string? Unavailable => Binary is null
        ? gvisor ? "runsc (gVisor) is not installed on this node (Debian: apt-get install runsc)" : "runc is not installed on this node (Debian: apt-get install runc)"
        : !Posix.IsRoot ? $"{Tool} needs root on this host, and the agent runs as uid {Environment.GetEnvironmentVariable("UID") ?? "non-root"}; run the agent as root" : null;

    /// <summary>The container's runc id: unique per agent (its state folder), pod and container, so two agents on one host never share one.</summary>
    public static string ContainerId(string pod, string container, string scope = "") =>
        "gitorch-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(scope + "\n" + pod + "/" + container)))[..20];

    private string Id(string pod, string container) => ContainerId(pod, container, scope);

    public async Task<ContainerHandle> StartAsync(ContainerLaunch launch, CancellationToken ct)
    {
        if (Unavailable is { } missing)
        {
            throw new RuntimeException(missing);
        }

        if (launch.ImageRootfs is null)
        {
            throw new RuntimeException($"image {launch.Container.Image} is not in this node's image store; import it with `gitorch image import {launch.Container.Image} PATH`");
        }

        var id = Id(launch.Pod, launch.Container.Name);
        var bundle = Path.Combine(launch.PodDirectory, launch.Container.Name, "bundle");
        Storage.StateFiles.Folder(Path.GetDirectoryName(bundle)!, Storage.StateFiles.TraversableFolder);
        Storage.StateFiles.Folder(bundle); // config.json holds the env values: 0700/0600
        await DeleteAsync(id, ct); // A leftover of a crashed agent.
        _pods[id] = launch.Pod;
        var network = await NetworkNamespace.SetUpAsync(_network, launch, ct); // The pod's, found in place when an earlier container (an init container) set it up.
        var spec = Spec(launch, network, id);
        CreateMountPoints(launch.ImageRootfs, spec);
        await using (var config = new StreamWriter(new FileStream(Path.Combine(bundle, "config.json"), Storage.StateFiles.PrivateWrite(FileMode.Create))))
        {
            await config.WriteAsync(spec.ToJsonString(new JsonSerializerOptions { WriteIndented = true }).AsMemory(), ct);
        }

        Storage.StateFiles.PrivateFileAt(launch.LogFile, create: true); // before sh opens it for appending: 0600, not its umask's 0644
        var info = new ProcessStartInfo("/bin/sh") { UseShellExecute = false, RedirectStandardInput = true, WorkingDirectory = bundle };
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add("exec \"$@\" </dev/null >>\"$0\" 2>&1");
        info.ArgumentList.Add(launch.LogFile);
        info.ArgumentList.Add("setsid");
        info.ArgumentList.Add(Binary!);
        foreach (var global in Globals)
        {
            info.ArgumentList.Add(global);
        }

        if (gvisor && network is null && launch.Spec.Security?.HostNetwork != true)
        {
            // No pod address (no namespace of ours to join): gVisor's own network stack with loopback only.
            info.ArgumentList.Add("--network=none");
        }

        info.ArgumentList.Add("run");
        info.ArgumentList.Add("--bundle");
        info.ArgumentList.Add(bundle);
        info.ArgumentList.Add(id);
        var process = Process.Start(info) ?? throw new RuntimeException($"cannot start {Tool}");
        process.StandardInput.Close();
        var pid = process.Id;
        return new ContainerHandle(pid, Posix.StartTime(pid) ?? 0, WaitAsync(process, id), id, network);
    }

    /// <summary>
    /// Re-adopts a container an earlier agent started: watches its <c>runc run</c> process and keeps
    /// the runc id, so stopping it later kills and deletes that container and tears down its network
    /// namespace. A record without an id (written before ids were kept) gets the id this driver
    /// gives the pod's container, which is the one it was started with.
    /// </summary>
    public ContainerHandle Adopt(string pod, string container, int pid, long startTime, string? id)
    {
        var runcId = string.IsNullOrEmpty(id) ? Id(pod, container) : id;
        _pods[runcId] = pod; // Stopping it tears down the pod's network once no container uses it.
        return new ContainerHandle(pid, startTime, ProcessDriver.WatchAsync(pid, startTime), runcId);
    }

    public async Task StopAsync(ContainerHandle handle, TimeSpan grace, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(handle.Id))
        {
            throw new ArgumentException($"the handle of process {handle.Pid} carries no runc id; the runtime that started it cannot stop it", nameof(handle));
        }

        var id = handle.Id;
        var podNamespace = _pods.ContainsKey(id) ? null : await NetworkNamespace.OfContainerAsync(id, ct);
        if (!handle.Exited.IsCompleted)
        {
            await ExecAsync(["kill", id, "TERM"], CancellationToken.None);
            try
            {
                await handle.Exited.WaitAsync(grace, ct);
            }
            catch (Exception ex) when (ex is TimeoutException || (ex is OperationCanceledException && ct.IsCancellationRequested))
            {
                // The grace period is over, or the caller cut it short (a stop with a deadline): kill.
                await ExecAsync(["kill", "--all", id, "KILL"], CancellationToken.None);
                Posix.SignalGroup(handle.Pid, Posix.SigKill);
                await handle.Exited.WaitAsync(TimeSpan.FromSeconds(10), CancellationToken.None);
            }
        }

        // Clean-up always runs to the end: a half-deleted container would outlive us. The pod's namespace goes in ReleasePodAsync.
        await DeleteAsync(id, CancellationToken.None);
        if (_pods.TryRemove(id, out _))
        {
            // The pod's namespace outlives its containers until ReleasePodAsync: its init containers
            // and containers share one namespace (what an init container sets up there stays).
        }
        else if (podNamespace is not null)
        {
            await _network.TearDownNamespaceAsync(podNamespace, CancellationToken.None);
        }
    }

    /// <summary>
    /// Deletes the container's runtime state. <c>runc run</c> deletes its container when the
    /// container's first process exits, so runc has nothing left to delete unless that run was cut
    /// short (a killed agent): runc keeps each container's state in a folder of its root, named by
    /// the id, and only a container with that folder costs a <c>runc delete</c>. runsc's state is
    /// laid out its own way, so it is always asked.
    /// </summary>
    private async Task DeleteAsync(string id, CancellationToken ct)
    {
        if (!gvisor && !Directory.Exists(Path.Combine(RuncRoot, id)))
        {
            return;
        }

        await ExecAsync(["delete", "--force", id], ct);
    }

    /// <summary>Removes the pod's network namespace and veth once no process of the pod runs in it (the pod stopped, or starts afresh).</summary>
    public Task ReleasePodAsync(string pod, CancellationToken ct) => NetworkNamespace.TearDownAsync(_network, pod, CancellationToken.None);

    /// <summary>
    /// Mount points must exist in the root filesystem, and inside a user namespace runc cannot
    /// create them in a root owned by the host: the agent (root on the host) does.
    /// </summary>
    private static void CreateMountPoints(string rootfs, JsonObject spec)
    {
        foreach (var mount in spec["mounts"]!.AsArray())
        {
            var destination = mount!["destination"]!.GetValue<string>();
            var tmpfs = mount["type"]?.GetValue<string>() == "tmpfs";
            ContainerPaths.EnsureMountPoint(rootfs, destination, created =>
            {
                if (tmpfs && created.EndsWith(destination.TrimEnd('/'), StringComparison.Ordinal) && !OperatingSystem.IsWindows())
                {
                    // runc gives a tmpfs the mode of its mount point: /tmp must be 1777 to be writable for the pod's user.
                    File.SetUnixFileMode(created, UnixFileMode.StickyBit | UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
                        | UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute);
                }
            });
        }
    }

    /// <summary>The pid of the container's first process (for inspection), from <c>runc state</c>.</summary>
    public static async Task<int?> InitPidAsync(string id, CancellationToken ct)
    {
        var (code, output) = await RuncAsync(["state", id], ct, ignoreErrors: true);
        return code == 0 && JsonNode.Parse(output)?["pid"]?.GetValue<int>() is int pid && pid > 0 ? pid : null;
    }

    internal static string RuncRoot => "/run/gitorch-runc";

    internal static string RunscRoot => "/run/gitorch-runsc";

    /// <summary>Runs this driver's tool (runc or runsc) with its global flags; errors are ignored (the caller checks the state after).</summary>
    internal Task<(int Code, string Output)> ExecAsync(IReadOnlyList<string> args, CancellationToken ct) =>
        RunToolAsync(Binary ?? Tool, [.. Globals, .. args], ct, ignoreErrors: true);

    /// <summary>The OCI runtime spec for one container.</summary>
    public static JsonObject Spec(ContainerLaunch launch, string? networkNamespace, string? id = null)
    {
        var spec = launch.Spec;
        var security = spec.Security ?? new PodSecurity();
        var container = launch.Container;
        var uid = security.RunAsUser ?? NobodyUid;
        var gid = security.RunAsGroup ?? uid;
        var caps = new JsonArray([.. (security.Privileged == true ? Weakenings.Capabilities : (security.Capabilities ?? []).Select(Weakenings.NormalizeCapability))
            .Distinct().Order(StringComparer.Ordinal).Select(c => (JsonNode)("CAP_" + c))]);
        var args = (container.Command ?? []).Concat(container.Args ?? []).Select(a => Substitution.Apply(a, launch.Ports)).ToList();
        if (args.Count == 0)
        {
            throw new RuntimeException($"container {container.Name} has no command (images carry no entrypoint here); set command");
        }

        var env = new JsonArray("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME=/tmp");
        foreach (var (key, value) in Substitution.Environment(container, launch.Ports))
        {
            env.Add($"{key}={value}");
        }

        if (launch.PodIP is not null)
        {
            env.Add($"POD_IP={launch.PodIP}");
        }

        var mounts = new JsonArray
        {
            Mount("/proc", "proc", "proc", ["nosuid", "noexec", "nodev"]),
            Mount("/dev", "tmpfs", "tmpfs", ["nosuid", "strictatime", "mode=755", "size=65536k"]),
            Mount("/dev/pts", "devpts", "devpts", ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"]),
            Mount("/dev/shm", "tmpfs", "shm", ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"]),
            Mount("/dev/mqueue", "mqueue", "mqueue", ["nosuid", "noexec", "nodev"]),
            Mount("/sys", "none", "/sys", ["rbind", "nosuid", "noexec", "nodev", "ro"]),
            Mount("/tmp", "tmpfs", "tmpfs", ["nosuid", "nodev", "mode=1777", "size=65536k"]),
        };
        foreach (var volume in spec.Volumes ?? [])
        {
            var mount = container.VolumeMounts?.FirstOrDefault(m => m.Name == volume.Name);
            if (mount is null)
            {
                continue;
            }

            var source = volume.HostPath ?? EmptyDir(launch.PodDirectory, volume.Name, uid, gid, security.HostUsers == true);
            mounts.Add(Mount(mount.MountPath, "bind", source, ["rbind", "nosuid", "nodev", mount.ReadOnly ? "ro" : "rw"]));
        }

        var namespaces = new JsonArray { Ns("pid"), Ns("ipc"), Ns("uts"), Ns("mount") };
        if (security.HostNetwork != true)
        {
            namespaces.Add(networkNamespace is null ? Ns("network") : new JsonObject { ["type"] = "network", ["path"] = networkNamespace });
        }

        if (security.HostPID == true)
        {
            namespaces.Remove(namespaces.First(n => (string?)n!["type"] == "pid"));
        }

        if (security.HostIPC == true)
        {
            namespaces.Remove(namespaces.First(n => (string?)n!["type"] == "ipc"));
        }

        var linux = new JsonObject
        {
            ["namespaces"] = namespaces,
            ["maskedPaths"] = security.ProcMount == ProcMountMode.Unmasked ? new JsonArray() : new JsonArray(
                "/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats",
                "/proc/sched_debug", "/proc/scsi", "/sys/firmware", "/sys/devices/virtual/powercap"),
            ["readonlyPaths"] = security.ProcMount == ProcMountMode.Unmasked ? new JsonArray() : new JsonArray(
                "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"),
            ["resources"] = Resources(container, security),
            ["devices"] = new JsonArray([.. (security.Devices ?? []).Select(Device).OfType<JsonNode>()]),
            ["cgroupsPath"] = "/gitorch/" + (id ?? ContainerId(launch.Pod, container.Name)),
        };
        if (security.HostUsers != true)
        {
            namespaces.Add(Ns("user"));
            linux["uidMappings"] = new JsonArray(new JsonObject { ["containerID"] = 0, ["hostID"] = UserNamespaceBase, ["size"] = UserNamespaceSize });
            linux["gidMappings"] = new JsonArray(new JsonObject { ["containerID"] = 0, ["hostID"] = UserNamespaceBase, ["size"] = UserNamespaceSize });
        }

        if (security.Seccomp != SeccompMode.Unconfined && security.Privileged != true)
        {
            linux["seccomp"] = SeccompProfile.Json();
        }

        if (security.Sysctls is { Count: > 0 } sysctls)
        {
            linux["sysctl"] = new JsonObject([.. sysctls.Select(kv => new KeyValuePair<string, JsonNode?>(kv.Key, kv.Value))]);
        }

        return new JsonObject
        {
            ["ociVersion"] = "1.0.2",
            ["process"] = new JsonObject
            {
                ["terminal"] = false,
                ["user"] = new JsonObject { ["uid"] = uid, ["gid"] = gid, ["additionalGids"] = new JsonArray() },
                ["args"] = new JsonArray([.. args.Select(a => (JsonNode)a)]),
                ["env"] = env,
                ["cwd"] = container.WorkingDir ?? "/",
                ["capabilities"] = new JsonObject
                {
                    ["bounding"] = caps.DeepClone(),
                    ["effective"] = caps.DeepClone(),
                    ["permitted"] = caps.DeepClone(),
                    ["inheritable"] = new JsonArray(),
                    ["ambient"] = uid == 0 ? new JsonArray() : caps.DeepClone(),
                },
                ["rlimits"] = new JsonArray(new JsonObject { ["type"] = "RLIMIT_NOFILE", ["hard"] = 4096, ["soft"] = 1024 }),
                ["noNewPrivileges"] = security.AllowPrivilegeEscalation != true && security.Privileged != true,
            },
            ["root"] = new JsonObject { ["path"] = launch.ImageRootfs, ["readonly"] = security.ReadOnlyRootFilesystem != false },
            ["hostname"] = launch.Pod.Split('/')[^1],
            ["mounts"] = mounts,
            ["linux"] = linux,
        };
    }

    private static JsonObject Resources(Container container, PodSecurity security)
    {
        var resources = new JsonObject
        {
            ["devices"] = new JsonArray([
                new JsonObject { ["allow"] = false, ["access"] = "rwm" },
                .. (security.Devices ?? []).Select(d => (JsonNode)new JsonObject { ["allow"] = true, ["type"] = "c", ["access"] = "rwm" })]),
        };
        var memory = Quantity.MemoryBytes(container.Resources?.Memory);
        if (memory > 0)
        {
            resources["memory"] = new JsonObject { ["limit"] = memory };
        }

        var cpu = Quantity.CpuMillis(container.Resources?.Cpu);
        if (cpu > 0)
        {
            resources["cpu"] = new JsonObject { ["quota"] = cpu * 100, ["period"] = 100_000 };
        }

        return resources;
    }

    private static JsonObject? Device(string path)
    {
        try
        {
            var info = new FileInfo(path);
            return info.Exists || Directory.Exists(path) ? new JsonObject { ["path"] = path, ["type"] = "c", ["major"] = 0, ["minor"] = 0, ["fileMode"] = 438 } : null;
        }
        catch (IOException)
        {
            return null;
        }
    }

    private static string EmptyDir(string podDirectory, string name, long uid, long gid, bool hostUsers)
    {
        var path = Path.Combine(podDirectory, "volumes", name);
        Directory.CreateDirectory(path);
        var hostUid = hostUsers ? uid : UserNamespaceBase + uid;
        var hostGid = hostUsers ? gid : UserNamespaceBase + gid;
        using var chown = Process.Start(new ProcessStartInfo("chown", [$"{hostUid}:{hostGid}", path]) { UseShellExecute = false });
        chown?.WaitForExit();
        return path;
    }

    private static JsonObject Mount(string destination, string type, string source, string[] options) =>
        new() { ["destination"] = destination, ["type"] = type, ["source"] = source, ["options"] = new JsonArray([.. options.Select(o => (JsonNode)o)]) };

    private static JsonObject Ns(string type) => new() { ["type"] = type };

    private static async Task<int> WaitAsync(Process process, string id)
    {
        using (process)
        {
            await process.WaitForExitAsync();
            return process.ExitCode;
        }
    }

    internal static Task<(int Code, string Output)> RuncAsync(IReadOnlyList<string> args, CancellationToken ct, bool ignoreErrors = false) =>
        RunToolAsync(RuncPath ?? "runc", ["--root", RuncRoot, .. args], ct, ignoreErrors);

    private static async Task<(int Code, string Output)> RunToolAsync(string binary, IReadOnlyList<string> args, CancellationToken ct, bool ignoreErrors)
    {
        var info = new ProcessStartInfo(binary) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync(ct);
        var error = process.StandardError.ReadToEndAsync(ct);
        await process.WaitForExitAsync(ct);
        if (process.ExitCode != 0 && !ignoreErrors)
        {
            throw new RuntimeException($"{Path.GetFileName(binary)} {string.Join(' ', args.Where(a => !a.StartsWith('-')).Take(1))} failed: {(await error).Trim()}");
        }

        return (process.ExitCode, await output);
    }
}
