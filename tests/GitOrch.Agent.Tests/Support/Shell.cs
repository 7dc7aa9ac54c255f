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
}
