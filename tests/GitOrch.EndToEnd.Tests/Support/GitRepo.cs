using System.Diagnostics;

namespace GitOrch.EndToEnd.Tests.Support;

/// <summary>A real git repository in a temporary folder, written and committed to as a user would.</summary>
internal sealed class GitRepo : IDisposable
{
    public GitRepo(string? copyFrom = null)
    {
        Root = Directory.CreateTempSubdirectory("gitorch-e2e-").FullName;
        Path = System.IO.Path.Combine(Root, "config");
        Directory.CreateDirectory(Path);
        if (copyFrom is not null)
        {
            Copy(copyFrom, Path);
        }

        Git("init", "-q", "-b", "main");
    }

    /// <summary>The temporary folder (the repo is its "config" subfolder; state can live beside it).</summary>
    public string Root { get; }

    public string Path { get; }

    public void Write(string relative, string text)
    {
        var full = System.IO.Path.Combine(Path, relative);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(full)!);
        File.WriteAllText(full, text);
    }

    public string Read(string relative) => File.ReadAllText(System.IO.Path.Combine(Path, relative));

    /// <summary>Drops the example repo's <c>history.keepVersions</c>, so that every version stays in the store (for "nothing lost" checks).</summary>
    public void KeepEveryVersion()
    {
        var keep = Read("cluster/policy.yaml").Split('\n').First(l => l.Contains("keepVersions", StringComparison.Ordinal));
        Replace("cluster/policy.yaml", keep + "\n", string.Empty);
    }

    public void Replace(string relative, string from, string to)
    {
        var text = Read(relative);
        Assert.Contains(from, text, StringComparison.Ordinal);
        Write(relative, text.Replace(from, to, StringComparison.Ordinal));
    }

    /// <summary>Commits everything as the given author; returns the new commit's id.</summary>
    public string Commit(string message, string email = "alice@example.com", string name = "Alice")
    {
        Git("add", "-A");
        Git("-c", $"user.name={name}", "-c", $"user.email={email}", "commit", "-q", "-m", message);
        return Git("rev-parse", "HEAD").Trim();
    }

    public string Git(params string[] args)
    {
        var info = new ProcessStartInfo("git") { WorkingDirectory = Path, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        info.Environment["GIT_CONFIG_NOSYSTEM"] = "1";
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"git {string.Join(' ', args)} failed: {error}");
        return output.Result;
    }

    private static void Copy(string from, string to)
    {
        foreach (var dir in Directory.EnumerateDirectories(from, "*", SearchOption.AllDirectories))
        {
            Directory.CreateDirectory(dir.Replace(from, to, StringComparison.Ordinal));
        }

        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            File.Copy(file, file.Replace(from, to, StringComparison.Ordinal));
        }
    }

    public static string ExampleRepo()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(System.IO.Path.Combine(dir.FullName, "GitOrch.sln")))
            {
                return System.IO.Path.Combine(dir.FullName, "example-repo");
            }
        }

        throw new InvalidOperationException("repository root not found");
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
            // A process still holds a file; the temp folder is cleaned up by the OS.
        }
        catch (UnauthorizedAccessException)
        {
            // Same.
        }
    }
}
