using System.Diagnostics;

namespace GitOrch.Agent.Tests.Support;

/// <summary>Runs a tool to build test inputs (rootfs folders, tarballs, OCI layouts); fails the test when it fails.</summary>
internal static class Shell
{
    public static string Run(string tool, params string[] args)
    {
        var (code, output, error) = TryRun(null, tool, args);
        if (code != 0)
        {
            throw new InvalidOperationException($"{tool} {string.Join(' ', args)} failed (exit {code}): {error}");
        }

        return output;
    }

    public static (int Code, string Output, string Error) TryRun(string? workDir, string tool, params string[] args)
    {
        var info = new ProcessStartInfo(tool) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        if (workDir is not null)
        {
            info.WorkingDirectory = workDir;
        }

        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, output.Result, error);
    }

    /// <summary>
    /// A busybox root filesystem: <c>mkdir -p rootfs/bin &amp;&amp; cp /usr/bin/busybox rootfs/bin/ &amp;&amp;
    /// chroot rootfs /bin/busybox --install -s /bin</c> (the chroot needs root).
    /// </summary>
    public static string BusyboxRootfs(string parent)
    {
        var rootfs = Path.Combine(parent, "rootfs");
        Directory.CreateDirectory(Path.Combine(rootfs, "bin"));
        File.Copy("/usr/bin/busybox", Path.Combine(rootfs, "bin", "busybox"));
        File.SetUnixFileMode(Path.Combine(rootfs, "bin", "busybox"), (UnixFileMode)0x1ED); // 0755
        Run("chroot", rootfs, "/bin/busybox", "--install", "-s", "/bin");
        return rootfs;
    }
}
