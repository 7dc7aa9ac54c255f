using System.Diagnostics;

namespace GitOrch.Cli.Tests.Support;

/// <summary>A real git repository in a temp folder (<c>git init -b main</c>), written and committed to as a user would.</summary>
internal sealed class ConfigRepo : IDisposable
{
    public ConfigRepo()
    {
        Root = Directory.CreateTempSubdirectory("gitorch-cli-repo-").FullName;
        Git("init", "--quiet", "-b", "main");
    }

    public string Root { get; }

    public ConfigRepo Write(string relative, string text)
    {
        var full = Path.Combine(Root, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        File.WriteAllText(full, text);
        return this;
    }

    /// <summary>Stages everything and commits it; returns the new commit.</summary>
    public string Commit(string message)
    {
        Git("add", "-A");
        Git("-c", "user.name=Alice", "-c", "user.email=alice@example.com", "-c", "commit.gpgsign=false", "commit", "--quiet", "--allow-empty", "-m", message);
        return Git("rev-parse", "HEAD").Trim();
    }

    public string Git(params string[] args)
    {
        var info = new ProcessStartInfo("git") { WorkingDirectory = Root, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        info.Environment["LC_ALL"] = "C";
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        return process.ExitCode == 0 ? output.Result : throw new InvalidOperationException($"git {string.Join(' ', args)} failed (exit {process.ExitCode}): {error}");
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temporary folder is harmless.
        }
        catch (UnauthorizedAccessException)
        {
            // Likewise.
        }
    }
}
