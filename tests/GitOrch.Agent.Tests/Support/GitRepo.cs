using System.Diagnostics;

namespace GitOrch.Agent.Tests.Support;

/// <summary>A real git repository in a temp folder: write files and commit them with an explicit author.</summary>
internal sealed class GitRepo : IDisposable
{
    private readonly TempDir _dir = new("gitorch-repo");

    private GitRepo()
    {
    }

    public string Root => _dir.Path;

    public static GitRepo Init()
    {
        var repo = new GitRepo();
        repo.Git("init", "--quiet", "-b", "main");
        return repo;
    }

    public GitRepo Write(string relative, string text)
    {
        var full = Path.Combine(Root, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        File.WriteAllText(full, text);
        return this;
    }

    public string Commit(string message)
    {
        Git("add", "-A");
        Git("-c", "user.name=X", "-c", "user.email=x@example.com", "-c", "commit.gpgsign=false", "commit", "--quiet", "--allow-empty", "-m", message);
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
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"git {string.Join(' ', args)} failed (exit {process.ExitCode}): {error}");
        }

        return output.Result;
    }

    public void Dispose() => _dir.Dispose();
}
