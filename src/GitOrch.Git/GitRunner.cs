using System.Diagnostics;
using System.Text;

namespace GitOrch.Git;

/// <summary>Runs one git command to completion. Never prompts (no terminal, no askpass).</summary>
public static class GitRunner
{
    public static async Task<byte[]> RunBytesAsync(string workDir, IEnumerable<string> args, CancellationToken ct, byte[]? stdin = null, IReadOnlyDictionary<string, string>? env = null)
    {
        var argList = args.ToList();
        using var process = new Process { StartInfo = StartInfo(workDir, argList, env) };
        process.StartInfo.RedirectStandardInput = true;
        try
        {
            process.Start();
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw new GitException($"cannot run git ({ex.Message}); install git and make sure it is on PATH", -1, string.Empty);
        }

        using var output = new MemoryStream();
        var copyOut = process.StandardOutput.BaseStream.CopyToAsync(output, ct);
        var readErr = process.StandardError.ReadToEndAsync(ct);
        if (stdin is not null)
        {
            await process.StandardInput.BaseStream.WriteAsync(stdin, ct);
        }

        process.StandardInput.Close();
        try
        {
            await Task.WhenAll(copyOut, readErr);
            await process.WaitForExitAsync(ct);
        }
        catch (OperationCanceledException)
        {
            Kill(process);
            throw;
        }

        if (process.ExitCode != 0)
        {
            var err = (await readErr).Trim();
            throw new GitException($"git {string.Join(' ', Command(argList).Take(3))} failed (exit {process.ExitCode}): {FirstLines(err)}", process.ExitCode, err);
        }

        return output.ToArray();
    }

    public static async Task<string> RunAsync(string workDir, IEnumerable<string> args, CancellationToken ct, string? stdin = null, IReadOnlyDictionary<string, string>? env = null) =>
        Encoding.UTF8.GetString(await RunBytesAsync(workDir, args, ct, stdin is null ? null : Encoding.UTF8.GetBytes(stdin), env));

    /// <summary>The command as a user knows it: without the <c>-c key=value</c> settings in front.</summary>
    private static IEnumerable<string> Command(IReadOnlyList<string> args)
    {
        var i = 0;
        while (i + 1 < args.Count && args[i] == "-c")
        {
            i += 2;
        }

        return args.Skip(i);
    }

    internal static ProcessStartInfo StartInfo(string workDir, IEnumerable<string> args, IReadOnlyDictionary<string, string>? env = null)
    {
        var info = new ProcessStartInfo("git")
        {
            WorkingDirectory = workDir,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            CreateNoWindow = true,
        };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        info.Environment["GIT_TERMINAL_PROMPT"] = "0";
        info.Environment["GIT_ASKPASS"] = "true";
        info.Environment["LC_ALL"] = "C";
        info.Environment.Remove("GIT_DIR");
        info.Environment.Remove("GIT_WORK_TREE");
        info.Environment.Remove("GIT_INDEX_FILE");
        if (env is not null)
        {
            foreach (var (key, value) in env)
            {
                info.Environment[key] = value;
            }
        }

        return info;
    }

    internal static void Kill(Process process)
    {
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

    private static string FirstLines(string text)
    {
        var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        return lines.Length == 0 ? "(no message)" : string.Join(" / ", lines.Take(3));
    }
}
