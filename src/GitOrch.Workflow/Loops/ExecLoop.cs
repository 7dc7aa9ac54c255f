using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;
using GitOrch.Workflow.Execution;

namespace GitOrch.Workflow.Loops;

/// <summary>
/// Calls an <c>exec</c> loop: the command gets the object as JSON on stdin and answers on stdout;
/// exit 0 means done, anything else failed. stderr lines become the step's log lines.
/// It runs sandboxed (<see cref="ExecSandbox"/>) in a fresh empty working folder (its HOME, removed
/// after the call) with an environment of PATH, HOME and the variables given (the loop's
/// <c>exec.env</c> and the call's GITORCH_* values) only: never the controller's. The loop is its
/// own process group; the whole group is killed when the call ends, times out or is cancelled.
/// </summary>
public static partial class ExecLoop
{
    public const string DefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

    private const int MaxOutput = 1 << 20;
    private const int SigKill = 9;

    public static Task<(int ExitCode, string Stdout)> RunAsync(
        IReadOnlyList<string> command, IReadOnlyDictionary<string, string> env, string input, StepInvocation invocation, CancellationToken ct) =>
        RunAsync(command, env, input, invocation, ExecSandbox.Default, ct);

    public static async Task<(int ExitCode, string Stdout)> RunAsync(
        IReadOnlyList<string> command, IReadOnlyDictionary<string, string> env, string input, StepInvocation invocation, ExecSandbox sandbox, CancellationToken ct)
    {
        var path = env.TryGetValue("PATH", out var p) ? p : DefaultPath;
        CheckRunnable(command[0], path);
        var root = GetEuid() == 0;
        var launcher = sandbox.Launcher(root);
        var home = Directory.CreateTempSubdirectory("gitorch-loop-").FullName; // 0700, empty, ours
        try
        {
            if (root && sandbox.Uid != 0)
            {
                Chown(home, sandbox.Uid, sandbox.Gid);
            }

            var info = new ProcessStartInfo(launcher[0])
            {
                RedirectStandardInput = true,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
                WorkingDirectory = home,
            };
            foreach (var arg in launcher.Skip(1).Concat(command))
            {
                info.ArgumentList.Add(arg);
            }

            info.Environment.Clear();
            info.Environment["PATH"] = DefaultPath;
            info.Environment["HOME"] = home;
            foreach (var (key, value) in env)
            {
                info.Environment[key] = value;
            }

            using var process = new Process { StartInfo = info };
            try
            {
                process.Start();
            }
            catch (System.ComponentModel.Win32Exception ex)
            {
                throw new LoopCallException($"cannot start the loop sandbox ({launcher[0]}): {ex.Message}");
            }

            return await CallAsync(process, input, invocation, ct);
        }
        finally
        {
            RemoveFolder(home);
        }
    }

    private static async Task<(int ExitCode, string Stdout)> CallAsync(Process process, string input, StepInvocation invocation, CancellationToken ct)
    {
        var group = process.Id; // setsid made the loop the leader of its own group
        try
        {
            var stdout = ReadLimitedAsync(process.StandardOutput, ct);
            var stderr = Task.Run(
                async () =>
                {
                    while (await process.StandardError.ReadLineAsync(ct) is { } line)
                    {
                        invocation.Log("info", line);
                    }
                },
                ct);
            try
            {
                await process.StandardInput.WriteAsync(input.AsMemory(), ct);
                process.StandardInput.Close();
            }
            catch (IOException)
            {
                // The loop exited without reading its input; its exit code tells the rest.
            }

            var exited = process.WaitForExitAsync(ct);
            if (await Task.WhenAny(exited, stdout) == stdout && stdout.IsFaulted)
            {
                KillGroup(group, process); // Past the output limit: it would block on a full pipe until its timeout.
                await stdout; // throws the limit's LoopCallException
            }

            await exited;
            KillGroup(group, process); // Anything it left behind ends with the call (and lets the pipes close).
            var output = await stdout;
            await stderr;
            return (process.ExitCode, output);
        }
        catch (OperationCanceledException)
        {
            KillGroup(group, process);
            throw;
        }
    }

    /// <summary>The messages of a command that cannot run, before any sandbox is set up.</summary>
    private static void CheckRunnable(string program, string path)
    {
        var candidates = program.Contains('/', StringComparison.Ordinal)
            ? [program]
            : path.Split(':', StringSplitOptions.RemoveEmptyEntries).Select(d => Path.Combine(d, program)).ToArray();
        var found = candidates.FirstOrDefault(File.Exists);
        if (found is null)
        {
            throw new LoopCallException($"cannot run {program}: no such file; check the loop's exec.command");
        }

        const UnixFileMode anyExecute = UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;
        if (!OperatingSystem.IsWindows() && (File.GetUnixFileMode(found) & anyExecute) == 0)
        {
            throw new LoopCallException($"cannot run {program}: permission denied (is it executable?); check the loop's exec.command");
        }
    }

    private static async Task<string> ReadLimitedAsync(StreamReader reader, CancellationToken ct)
    {
        var text = new StringBuilder();
        var buffer = new char[8192];
        int n;
        while ((n = await reader.ReadAsync(buffer.AsMemory(), ct)) > 0)
        {
            if (text.Length + n > MaxOutput)
            {
                throw new LoopCallException($"printed more than {MaxOutput} bytes on stdout; answer with a small JSON object and log on stderr");
            }

            text.Append(buffer, 0, n);
        }

        return text.ToString();
    }

    private static void KillGroup(int group, Process process)
    {
        if (group > 1)
        {
            _ = Kill(-group, SigKill);
        }

        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
    }

    private static void Chown(string folder, long uid, long gid)
    {
        if (ChownNative(folder, (uint)uid, (uint)gid) != 0)
        {
            throw new LoopCallException($"cannot give the loop its working folder {folder} (chown to {uid}:{gid} failed with errno {Marshal.GetLastPInvokeError()})");
        }
    }

    /// <summary>Removes the working folder; links inside it are removed, never followed.</summary>
    private static void RemoveFolder(string folder)
    {
        try
        {
            Directory.Delete(folder, recursive: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // A loop that made its folder undeletable leaves it in the temp folder; nothing reads it again.
        }
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);

    [LibraryImport("libc", EntryPoint = "geteuid")]
    private static partial uint GetEuid();

    [LibraryImport("libc", EntryPoint = "lchown", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int ChownNative(string path, uint uid, uint gid);
}

/// <summary>A loop could not be called as declared; the message says what to fix.</summary>
public sealed class LoopCallException(string message) : Exception(message);
