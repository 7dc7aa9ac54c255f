using System.Diagnostics;
using GitOrch.Agent.Native;
using GitOrch.Core.Manifests;

namespace GitOrch.Agent.Runtimes;

/// <summary>
/// The <c>process</c> runtime: the command runs on the host, in its own session and process group
/// (<c>setsid</c>), with <c>$(PORT_&lt;NAME&gt;)</c> substituted, its env, a working directory under
/// the agent's state, and stdout/stderr appended to its log file. When the agent runs as root, the
/// process drops to the pod's user (65534 unless the pod's validated request says otherwise) with
/// no_new_privs and no supplementary groups (<c>setpriv</c>), under the runtime's default seccomp
/// filter (the one oci pods and exec loops get; <c>seccomp: Unconfined</c> with its exception turns it
/// off). It is still a weaker sandbox than <c>oci</c>: no namespaces, the host's filesystem. That is
/// why it needs the <c>runtime:process</c> exception.
/// </summary>
public sealed class ProcessDriver : IRuntimeDriver
{
    public const long NobodyUid = 65534;

    public string Name => "process";

    public string? Unavailable => File.Exists("/usr/bin/setsid") || File.Exists("/bin/setsid") ? null : "setsid (util-linux) is not installed";

    private static string? Perl => new[] { "/usr/bin/perl", "/bin/perl" }.FirstOrDefault(File.Exists);

    public Task<ContainerHandle> StartAsync(ContainerLaunch launch, CancellationToken ct)
    {
        var container = launch.Container;
        var command = (container.Command ?? []).Concat(container.Args ?? []).Select(a => Substitution.Apply(a, launch.Ports)).ToList();
        if (command.Count == 0)
        {
            throw new RuntimeException($"container {container.Name} has no command");
        }

        var uid = launch.Spec.Security?.RunAsUser ?? NobodyUid;
        var gid = launch.Spec.Security?.RunAsGroup ?? uid;
        string workDir;
        var ownFolder = container.WorkingDir is null;
        if (container.WorkingDir is { } named)
        {
            // A host folder the pod names is the operator's: it must exist, and is left as it is
            // (owner and mode), never created or changed by the node.
            if (!Directory.Exists(named))
            {
                throw new RuntimeException($"container {container.Name}: workingDir {named} does not exist on this node; the node never creates or changes a host folder a pod names: create it with the owner and mode the pod needs, or remove workingDir to get a folder of the pod's own");
            }

            workDir = named;
        }
        else
        {
            var containerDir = Storage.StateFiles.Folder(Path.Combine(launch.PodDirectory, container.Name), Storage.StateFiles.TraversableFolder);
            workDir = Storage.StateFiles.Folder(Path.Combine(containerDir, "work"));
        }

        Storage.StateFiles.PrivateFileAt(launch.LogFile, create: true); // before sh opens it for appending: 0600, not its umask's 0644
        // sh opens the log file, then execs setsid (a new session and process group, same pid),
        // then setpriv (drop to the pod's user, no_new_privs), then the command.
        var info = new ProcessStartInfo("/bin/sh") { WorkingDirectory = workDir, UseShellExecute = false, RedirectStandardInput = true };
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add("exec \"$@\" </dev/null >>\"$0\" 2>&1");
        info.ArgumentList.Add(launch.LogFile);
        info.ArgumentList.Add("setsid");
        if (launch.Spec.Security?.Seccomp != SeccompMode.Unconfined)
        {
            // The runtime's default filter, installed before the user changes (as root it needs no
            // no_new_privs; without root it does), and kept across every exec that follows.
            if (Core.Security.SeccompFilter.Build(Core.Security.SeccompFilter.RuntimeDefaultBlocked) is not { } filter
                || Core.Security.SeccompFilter.Calls is not { } calls || Perl is not { } perl)
            {
                throw new RuntimeException($"container {container.Name}: a process pod runs under a seccomp filter, which needs perl and an x86_64 or arm64 machine; install perl, or give the pod security.seccomp: Unconfined (with the seccomp:unconfined exception)");
            }

            foreach (var arg in Core.Security.SeccompFilter.Installer(perl, filter, calls, noNewPrivs: !Posix.IsRoot))
            {
                info.ArgumentList.Add(arg);
            }
        }

        if (Posix.IsRoot && File.Exists("/usr/bin/setpriv"))
        {
            if (ownFolder)
            {
                try
                {
                    Posix.Lchown(workDir, uid, gid); // the folder the node created, not what the pod put in it
                }
                catch (IOException ex)
                {
                    throw new RuntimeException($"container {container.Name}: {ex.Message}");
                }
            }

            info.ArgumentList.Add("setpriv");
            info.ArgumentList.Add($"--reuid={uid}");
            info.ArgumentList.Add($"--regid={gid}");
            info.ArgumentList.Add("--clear-groups");
            if (launch.Spec.Security?.AllowPrivilegeEscalation != true)
            {
                info.ArgumentList.Add("--no-new-privs");
            }

            info.ArgumentList.Add("--");
        }

        foreach (var arg in command)
        {
            info.ArgumentList.Add(arg);
        }

        info.Environment.Clear();
        info.Environment["PATH"] = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
        info.Environment["HOME"] = workDir;
        foreach (var (key, value) in Substitution.Environment(container, launch.Ports))
        {
            info.Environment[key] = value;
        }

        var process = Process.Start(info) ?? throw new RuntimeException($"cannot start container {container.Name}");
        process.StandardInput.Close();
        var pid = process.Id;
        var exited = WaitAsync(process);
        return Task.FromResult(new ContainerHandle(pid, Posix.StartTime(pid) ?? 0, exited));
    }

    public async Task StopAsync(ContainerHandle handle, TimeSpan grace, CancellationToken ct)
    {
        if (handle.Exited.IsCompleted)
        {
            return;
        }

        Posix.SignalGroup(handle.Pid, Posix.SigTerm);
        try
        {
            await handle.Exited.WaitAsync(grace, ct);
        }
        catch (Exception ex) when (ex is TimeoutException || (ex is OperationCanceledException && ct.IsCancellationRequested))
        {
            // The grace period is over, or the caller cut it short (a stop with a deadline): kill.
            Posix.SignalGroup(handle.Pid, Posix.SigKill);
            await handle.Exited.WaitAsync(TimeSpan.FromSeconds(10), CancellationToken.None);
        }

        // The leader is gone; a member of its group that ignored SIGTERM must not outlive the stop.
        Posix.SignalGroup(handle.Pid, Posix.SigKill);
    }

    /// <summary>Re-adopts a container started by an earlier agent: watches its pid until it is gone.</summary>
    public ContainerHandle Adopt(string pod, string container, int pid, long startTime, string? id) => new(pid, startTime, WatchAsync(pid, startTime));

    private static async Task<int> WaitAsync(Process process)
    {
        using (process)
        {
            await process.WaitForExitAsync();
            return process.ExitCode;
        }
    }

    internal static async Task<int> WatchAsync(int pid, long startTime)
    {
        while (Posix.StartTime(pid) == startTime)
        {
            await Task.Delay(200);
        }

        return -1; // Not our child: its exit code is not ours to read.
    }
}

/// <summary>A runtime cannot run a container; the message says what is missing or wrong.</summary>
public sealed class RuntimeException(string message) : Exception(message);
