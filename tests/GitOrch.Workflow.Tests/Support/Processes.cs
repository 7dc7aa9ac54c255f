namespace GitOrch.Workflow.Tests.Support;

/// <summary>Whether a process still runs, from /proc (a zombie waiting to be reaped has stopped running).</summary>
internal static class Processes
{
    public static bool IsRunning(int pid)
    {
        string stat;
        try
        {
            stat = File.ReadAllText($"/proc/{pid}/stat");
        }
        catch (IOException)
        {
            return false;
        }

        // "pid (comm) S ...": the state follows the last ')'.
        var state = stat[(stat.LastIndexOf(')') + 2)..][0];
        return state is not ('Z' or 'X');
    }

    /// <summary>Waits until a file holds a pid (written by a script) and returns it.</summary>
    public static async Task<int> PidFromAsync(string file)
    {
        var pid = 0;
        await Wait.UntilAsync(() => File.Exists(file) && int.TryParse(File.ReadAllText(file).Trim(), out pid), $"{file} holds a pid");
        return pid;
    }
}
