using System.Globalization;
using System.Runtime.InteropServices;

namespace GitOrch.Agent.Native;

/// <summary>The few POSIX calls the agent needs: signals to process groups, and who it runs as.</summary>
internal static partial class Posix
{
    public const int SigTerm = 15;
    public const int SigKill = 9;

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int KillNative(int pid, int signal);

    [LibraryImport("libc", EntryPoint = "geteuid")]
    private static partial uint GetEuidNative();

    [LibraryImport("libc", EntryPoint = "lchown", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int LchownNative(string path, uint uid, uint gid);

    /// <summary>Changes the owner of this path itself (never a link's target); only for paths the agent created.</summary>
    public static void Lchown(string path, long uid, long gid)
    {
        if (LchownNative(path, (uint)uid, (uint)gid) != 0)
        {
            throw new IOException($"cannot give {path} to {uid}:{gid} (errno {Marshal.GetLastPInvokeError()})");
        }
    }

    /// <summary>Sends a signal to a whole process group (the pod's container, started as its own group).</summary>
    public static bool SignalGroup(int pgid, int signal) => pgid > 1 && KillNative(-pgid, signal) == 0;

    public static bool IsRoot => GetEuidNative() == 0;

    /// <summary>Whether a process exists, and its start time (clock ticks since boot) from /proc, to tell a reused pid apart.</summary>
    public static long? StartTime(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return fields.Length > 19 && fields[0] != "Z" ? long.Parse(fields[19], CultureInfo.InvariantCulture) : null;
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }
}
