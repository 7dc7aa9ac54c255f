using System.Diagnostics;

namespace GitOrch.Tests.Shared;

/// <summary>
/// A real git repository in a temp folder (<c>git init -b main</c>): write files, commit them with
/// an explicit author, and run any git command. Every commit passes its identity with <c>-c</c>, so
/// no global git configuration is needed. Compiled into each test project that needs one; the folder
/// is deleted when the repository is disposed.
/// </summary>
internal sealed class GitRepo : IDisposable
{
    public const string DefaultName = "X";
    public const string DefaultEmail = "x@example.com";

    private GitRepo(string root)
    {
        Root = root;
    }

    public string Root { get; }

    public static GitRepo Init()
    {
        var repo = new GitRepo(Directory.CreateTempSubdirectory("gitorch-repo-").FullName);
        repo.Git("init", "--quiet", "-b", "main");
        return repo;
    }

    public string PathOf(string relative) => Path.Combine(Root, relative);

    public GitRepo Write(string relative, string text)
    {
        var full = PathOf(relative);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        File.WriteAllText(full, text);
        return this;
    }

    public string Read(string relative) => File.ReadAllText(PathOf(relative));

    public GitRepo Delete(string relative)
    {
        File.Delete(PathOf(relative));
        return this;
    }

    /// <summary>Stages everything and commits it; returns the new commit.</summary>
    public string Commit(string message, string email = DefaultEmail, string name = DefaultName)
    {
        Git("add", "-A");
        Git("-c", $"user.name={name}", "-c", $"user.email={email}", "-c", "commit.gpgsign=false", "commit", "--quiet", "--allow-empty", "-m", message);
        return Head();
    }

    public string Head() => RevParse("HEAD")!;

    /// <summary>The commit a revision names, or null when it names none.</summary>
    public string? RevParse(string revision)
    {
        var (exit, output, _) = TryGit("rev-parse", "--verify", "--quiet", revision);
        return exit == 0 ? output.Trim() : null;
    }

    /// <summary>Runs git in the repo; fails the test with git's error output when git fails.</summary>
    public string Git(params string[] args)
    {
        var (exit, output, error) = TryGit(args);
        if (exit != 0)
        {
            throw new InvalidOperationException($"git {string.Join(' ', args)} failed (exit {exit}): {error}");
        }

        return output;
    }

    public (int Exit, string Output, string Error) TryGit(params string[] args) => RunGit(Root, args);

    public static (int Exit, string Output, string Error) RunGit(string workDir, params string[] args)
    {
        var info = new ProcessStartInfo("git")
        {
            WorkingDirectory = workDir,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        info.Environment["LC_ALL"] = "C";
        info.Environment["GIT_TERMINAL_PROMPT"] = "0";
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, output.Result, error);
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a process may still hold a file for a moment.
        }
        catch (UnauthorizedAccessException)
        {
            // Best effort.
        }
    }
}
