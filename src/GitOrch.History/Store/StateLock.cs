using System.Globalization;
using GitOrch.Storage;

namespace GitOrch.History.Store;

/// <summary>
/// An exclusive lock on a state folder, so that two controllers never write the same state. The
/// lock is an open file with no sharing; the OS drops it when the process dies (no stale locks).
/// </summary>
public sealed class StateLock : IDisposable
{
    public const string FileName = "lock";
    public const string PidFileName = "lock.pid";

    private readonly FileStream _stream;

    private StateLock(FileStream stream) => _stream = stream;

    public static StateLock Acquire(string stateDir)
    {
        StateFiles.Folder(stateDir);
        var path = Path.Combine(stateDir, FileName);
        try
        {
            var stream = new FileStream(path, StateFiles.PrivateWrite(FileMode.OpenOrCreate, FileAccess.ReadWrite));
            StateFiles.PrivateFileAt(path);

            // The pid goes in a file of its own: on Linux a file held with FileShare.None cannot be
            // opened by others at all, so the lock file itself cannot tell who holds it.
            using (var pid = new StreamWriter(new FileStream(Path.Combine(stateDir, PidFileName), StateFiles.PrivateWrite(FileMode.Create))))
            {
                pid.Write(Environment.ProcessId.ToString(CultureInfo.InvariantCulture) + "\n");
            }

            StateFiles.PrivateFileAt(Path.Combine(stateDir, PidFileName));
            return new StateLock(stream);
        }
        catch (IOException)
        {
            var holder = TryReadPid(Path.Combine(stateDir, PidFileName));
            throw new StateException(
                $"the state folder {stateDir} is in use by another gitorch process{(holder is null ? string.Empty : $" (pid {holder})")}; stop that process, or give this one its own folder with --state");
        }
    }

    private static string? TryReadPid(string path)
    {
        try
        {
            var text = File.ReadAllText(path).Trim();
            return text.Length == 0 ? null : text;
        }
        catch (IOException)
        {
            return null;
        }
    }

    /// <summary>
    /// The path the held lock file has now, as the kernel sees it (Linux: /proc/self/fd), or null
    /// where that cannot be known. It ends in " (deleted)" once the file is removed, and names the
    /// new place if its folder was moved.
    /// </summary>
    public string? OpenPath()
    {
        var link = $"/proc/self/fd/{_stream.SafeFileHandle.DangerousGetHandle()}";
        try
        {
            return new FileInfo(link).LinkTarget;
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

    public void Dispose() => _stream.Dispose();
}
