using System.Diagnostics;

namespace GitOrch.EndToEnd.Tests.Support;

/// <summary>A busybox root filesystem built from the host's static busybox (needs root for the chroot), for oci pods.</summary>
internal static class Busybox
{
    public static string Rootfs(string parent)
    {
        var rootfs = Path.Combine(parent, "busybox-rootfs");
        Directory.CreateDirectory(Path.Combine(rootfs, "bin"));
        File.Copy("/usr/bin/busybox", Path.Combine(rootfs, "bin", "busybox"));
        File.SetUnixFileMode(Path.Combine(rootfs, "bin", "busybox"), (UnixFileMode)0x1ED); // 0755
        using var chroot = Process.Start(new ProcessStartInfo("chroot", [rootfs, "/bin/busybox", "--install", "-s", "/bin"]) { UseShellExecute = false })!;
        chroot.WaitForExit();
        Assert.Equal(0, chroot.ExitCode);
        return rootfs;
    }

    /// <summary>Runs <c>runc --root /run/gitorch-runc ARGS</c> (the agent's runc root); returns the exit code and stdout.</summary>
    public static (int Code, string Output) Runc(params string[] args)
    {
        var info = new ProcessStartInfo(GitOrch.Agent.Runtimes.RuncDriver.RuncPath ?? "runc") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add("--root");
        info.ArgumentList.Add("/run/gitorch-runc");
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        process.StandardError.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, output.Result);
    }

    /// <summary>The pid of a runc container's init process, or null when runc does not know the container.</summary>
    public static int? InitPid(string id)
    {
        var (code, output) = Runc("state", id);
        return code == 0 && System.Text.Json.Nodes.JsonNode.Parse(output)?["pid"]?.GetValue<int>() is int pid && pid > 0 ? pid : null;
    }
}
