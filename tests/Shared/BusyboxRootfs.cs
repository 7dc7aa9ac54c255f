using System.Diagnostics;

namespace GitOrch.Tests.Shared;

/// <summary>
/// A busybox root filesystem built from the host's static busybox: <c>bin/busybox</c>, with its
/// applets linked by <c>busybox --install -s /bin</c> in a chroot (which needs root).
/// </summary>
internal static class BusyboxRootfs
{
    public static string Build(string parent)
    {
        var rootfs = Path.Combine(parent, "busybox-rootfs");
        var busybox = Path.Combine(rootfs, "bin", "busybox");
        Directory.CreateDirectory(Path.GetDirectoryName(busybox)!);
        File.Copy("/usr/bin/busybox", busybox, overwrite: true);
        if (OperatingSystem.IsLinux())
        {
            File.SetUnixFileMode(busybox, (UnixFileMode)0x1ED); // 0755
        }

        using var chroot = Process.Start(new ProcessStartInfo("chroot", [rootfs, "/bin/busybox", "--install", "-s", "/bin"]) { UseShellExecute = false })!;
        chroot.WaitForExit();
        return chroot.ExitCode == 0 ? rootfs : throw new InvalidOperationException($"chroot {rootfs} /bin/busybox --install exited {chroot.ExitCode}");
    }
}
