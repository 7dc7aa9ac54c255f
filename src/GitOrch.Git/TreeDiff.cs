using LibGit2Sharp;

namespace GitOrch.Git;

/// <summary>
/// Commit walks and tree diffs in-process through libgit2: no process per call, and a diff
/// descends only into subtrees whose ids differ, so its work is proportional to the change, not
/// to the repository.
/// </summary>
public static class TreeDiff
{
    /// <summary>
    /// The first-parent commits after <paramref name="from"/> up to <paramref name="to"/>, oldest
    /// first, when <paramref name="from"/> is on <paramref name="to"/>'s first-parent line within
    /// <paramref name="limit"/> commits; null otherwise (the caller falls back to git's own walk).
    /// </summary>
    public static Task<IReadOnlyList<string>?> FirstParentPathAsync(GitRepository repo, string from, string to, int limit, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        return Task.FromResult(repo.Lib.Use<IReadOnlyList<string>?>(lib =>
        {
            var path = new List<string>();
            var current = GitRepository.CommitOf(lib, to);
            for (var i = 0; i < limit; i++)
            {
                if (current.Sha == from)
                {
                    path.Reverse();
                    return path;
                }

                path.Add(current.Sha);
                if (current.Parents.FirstOrDefault() is not { } parent)
                {
                    return null;
                }

                current = parent;
            }

            return null;
        }));
    }

    /// <summary>The files that differ between two commits, under <paramref name="folder"/> (null: everywhere).</summary>
    public static Task<IReadOnlyList<TreeChange>> DiffAsync(GitRepository repo, string from, string to, string? folder, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        return Task.FromResult(repo.Lib.Use(lib =>
        {
            var a = Subtree(GitRepository.CommitOf(lib, from).Tree, folder);
            var b = Subtree(GitRepository.CommitOf(lib, to).Tree, folder);
            if (a?.Sha == b?.Sha)
            {
                return (IReadOnlyList<TreeChange>)[];
            }

            using var changes = lib.Diff.Compare<TreeChanges>(a, b, GitRepository.NoRenames);
            return GitRepository.ToChanges(changes, folder is null ? string.Empty : folder.Trim('/') + "/");
        }));
    }

    private static Tree? Subtree(Tree tree, string? folder)
    {
        var trimmed = folder?.Trim('/');
        if (string.IsNullOrEmpty(trimmed))
        {
            return tree;
        }

        return tree[trimmed] is { TargetType: TreeEntryTargetType.Tree } entry ? (Tree)entry.Target : null;
    }
}
