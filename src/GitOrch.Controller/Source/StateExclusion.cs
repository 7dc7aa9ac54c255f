using GitOrch.Git;

namespace GitOrch.Controller.Source;

/// <summary>
/// A state folder inside the config repo's work tree (<c>gitorch up --repo .</c> keeps it in
/// <c>./.gitorch</c>) must never be committed: <c>git add -A</c> would add the state database,
/// credentials and container logs. It is listed in the repository's own <c>.git/info/exclude</c>
/// (local to the clone, never committed, unlike <c>.gitignore</c>), once.
/// </summary>
public static class StateExclusion
{
    /// <summary>Adds <paramref name="stateDir"/> to the exclude file of the work tree at <paramref name="workTree"/> when it lies inside it; returns the line added, or null.</summary>
    public static async Task<string?> EnsureAsync(string workTree, string stateDir, CancellationToken ct)
    {
        var relative = Path.GetRelativePath(Path.GetFullPath(workTree), Path.GetFullPath(stateDir)).Replace('\\', '/');
        if (relative == "." || relative.StartsWith("../", StringComparison.Ordinal) || relative == ".." || Path.IsPathRooted(relative))
        {
            return null; // Outside the work tree (or the work tree itself, which no state folder should be).
        }

        var line = "/" + relative.TrimEnd('/') + "/";
        var exclude = (await GitRunner.RunAsync(workTree, ["rev-parse", "--git-path", "info/exclude"], ct)).Trim();
        exclude = Path.IsPathRooted(exclude) ? exclude : Path.Combine(workTree, exclude);
        var existing = File.Exists(exclude) ? await File.ReadAllLinesAsync(exclude, ct) : [];
        if (existing.Any(l => l.Trim() == line))
        {
            return null;
        }

        Directory.CreateDirectory(Path.GetDirectoryName(exclude)!);
        var text = existing.Length > 0 && !(await File.ReadAllTextAsync(exclude, ct)).EndsWith('\n') ? "\n" : string.Empty;
        await File.AppendAllTextAsync(exclude, $"{text}# gitorch state folder (database, credentials, logs): never commit it\n{line}\n", ct);
        return line;
    }
}
