using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace GitOrch.Testing;

/// <summary>
/// A real git repository in a fresh temporary folder, driven through the git CLI with a fixed
/// identity and fixed, increasing commit times (so hashes and order do not depend on the clock).
/// The folder is deleted on dispose.
/// </summary>
public sealed class TempGitRepo : IDisposable
{
    /// <summary>The time of the first commit (2023-11-14T22:13:20Z); each later commit is a minute later.</summary>
    public const long FirstCommitTime = 1_700_000_000;

    private int _commits;

    private TempGitRepo(string path) => Path = path;

    public string Path { get; }

    /// <summary>A new repository whose branch is <c>main</c>.</summary>
    public static TempGitRepo Create(bool bare = false)
    {
        var path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "gitorch-test-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(path);
        var repo = new TempGitRepo(path);
        if (bare)
        {
            repo.Git("init", "--quiet", "--bare", "-b", "main");
        }
        else
        {
            repo.Git("init", "--quiet", "-b", "main");
        }

        return repo;
    }

    /// <summary>Writes a file (UTF-8, creating folders) relative to the work tree.</summary>
    public void Write(string relativePath, string content)
    {
        var full = System.IO.Path.Combine(Path, relativePath);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(full)!);
        File.WriteAllText(full, content, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false));
    }

    public void Delete(string relativePath) => File.Delete(System.IO.Path.Combine(Path, relativePath));

    /// <summary>Stages everything and commits; returns the new commit's id.</summary>
    public string Commit(string message, string authorName = "Ada Lovelace", string authorEmail = "ada@example.com", long? time = null)
    {
        Git("add", "-A");
        Run(Identity(authorName, authorEmail, time), "commit", "--quiet", "--allow-empty", "--no-verify", "-m", message);
        return Head();
    }

    /// <summary>Merges a branch into the current one with a merge commit (never fast-forward); returns it.</summary>
    public string Merge(string branch, string message)
    {
        Run(Identity("Ada Lovelace", "ada@example.com", null), "merge", "--quiet", "--no-ff", "--no-edit", "-m", message, branch);
        return Head();
    }

    private Dictionary<string, string> Identity(string authorName, string authorEmail, long? time)
    {
        var when = (time ?? FirstCommitTime + (60L * _commits)).ToString(CultureInfo.InvariantCulture) + " +0000";
        _commits++;
        return new Dictionary<string, string>
        {
            ["GIT_AUTHOR_NAME"] = authorName,
            ["GIT_AUTHOR_EMAIL"] = authorEmail,
            ["GIT_AUTHOR_DATE"] = when,
            ["GIT_COMMITTER_NAME"] = "Committer",
            ["GIT_COMMITTER_EMAIL"] = "committer@example.com",
            ["GIT_COMMITTER_DATE"] = when,
        };
    }

    /// <summary>The commit HEAD points at.</summary>
    public string Head() => Git("rev-parse", "HEAD").Trim();

    /// <summary>Runs git in the repository; returns its standard output, or throws with its standard error.</summary>
    public string Git(params string[] args) => Run(new Dictionary<string, string>(), args);

    private string Run(Dictionary<string, string> env, params string[] args)
    {
        var info = new ProcessStartInfo("git")
        {
            WorkingDirectory = Path,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
        };
        foreach (var arg in new[] { "-c", "user.name=Test", "-c", "user.email=test@example.com", "-c", "commit.gpgsign=false", "-c", "core.quotepath=false" }.Concat(args))
        {
            info.ArgumentList.Add(arg);
        }

        info.Environment.Remove("GIT_DIR");
        info.Environment.Remove("GIT_WORK_TREE");
        info.Environment.Remove("GIT_INDEX_FILE");
        info.Environment["GIT_CONFIG_NOSYSTEM"] = "1";
        info.Environment["GIT_CONFIG_GLOBAL"] = "/dev/null";
        info.Environment["LC_ALL"] = "C";
        foreach (var (key, value) in env)
        {
            info.Environment[key] = value;
        }

        using var process = Process.Start(info)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"git {string.Join(' ', args)} failed (exit {process.ExitCode}): {stderr.Result}");
        }

        return stdout;
    }

    public void Dispose()
    {
        try
        {
            // Git makes its object files read-only; clear that so the folder can be deleted.
            foreach (var file in Directory.EnumerateFiles(Path, "*", SearchOption.AllDirectories))
            {
                File.SetAttributes(file, FileAttributes.Normal);
            }

            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temporary folder is harmless.
        }
        catch (UnauthorizedAccessException)
        {
            // Same.
        }
    }
}
