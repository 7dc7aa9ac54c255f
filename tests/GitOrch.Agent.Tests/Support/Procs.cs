using System.Globalization;

namespace GitOrch.Agent.Tests.Support;

/// <summary>What /proc says about host processes.</summary>
internal static class Procs
{
    /// <summary>True when the pid exists and is not a zombie.</summary>
    public static bool IsAlive(int pid) => Stat(pid) is { } stat && stat.State != "Z";

    /// <summary>A field of /proc/PID/status ("Uid", "NoNewPrivs", "CapEff", "Seccomp"), or null when the process is gone.</summary>
    public static string? Status(int pid, string field)
    {
        try
        {
            return File.ReadAllLines($"/proc/{pid}/status")
                .Where(l => l.StartsWith(field + ":\t", StringComparison.Ordinal))
                .Select(l => l[(field.Length + 2)..])
                .FirstOrDefault();
        }
        catch (IOException)
        {
            return null;
        }
    }

    /// <summary>The raw "Field:\tvalue" line of /proc/PID/status.</summary>
    public static string? StatusLine(int pid, string field) => Status(pid, field) is { } value ? $"{field}:\t{value}" : null;

    /// <summary>Live processes that lead their own process group (one per started container) whose command line contains the marker.</summary>
    public static IReadOnlyList<int> GroupLeadersWith(string marker) =>
        All().Where(p => p.Pid == p.Pgrp && p.State != "Z" && CommandLine(p.Pid).Contains(marker, StringComparison.Ordinal)).Select(p => p.Pid).Order().ToList();

    /// <summary>
    /// Waits until exactly these pids lead a process group with the marker. A container just
    /// reported Running may still be between its launcher's execs (sh, then setsid, then the
    /// seccomp installer, then the command), for a moment not yet its own group's leader.
    /// </summary>
    public static async Task AssertGroupLeadersAsync(string marker, params int[] expected) =>
        await Eventually.Until(() => GroupLeadersWith(marker), l => l.SequenceEqual(expected.Order()), $"exactly [{string.Join(", ", expected)}] to lead a process group with the marker");

    /// <summary>Whether any live process is still in the process group.</summary>
    public static bool GroupAlive(int pgid) => All().Any(p => p.Pgrp == pgid && p.State != "Z");

    public static string CommandLine(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ');
        }
        catch (IOException)
        {
            return string.Empty;
        }
        catch (UnauthorizedAccessException)
        {
            return string.Empty;
        }
    }

    private static IEnumerable<(int Pid, string State, int Pgrp)> All()
    {
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) && Stat(pid) is { } stat)
            {
                yield return (pid, stat.State, stat.Pgrp);
            }
        }
    }

    private static (string State, int Pgrp)? Stat(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return (fields[0], int.Parse(fields[2], CultureInfo.InvariantCulture));
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
