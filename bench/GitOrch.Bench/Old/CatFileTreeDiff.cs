using System.Text;

using GitOrch.Git;

namespace GitOrch.Bench.Old;

/// <summary>
/// The previous path, kept only to be measured: commit walks and tree diffs through the long-lived <c>cat-file --batch</c> process: no process
/// per call, and a diff descends only into subtrees whose ids differ, so its work is proportional
/// to the change, not to the repository.
/// </summary>
public static class CatFileTreeDiff
{
    /// <summary>The files that differ between two commits, under <paramref name="folder"/> (null: everywhere).</summary>
    public static async Task<IReadOnlyList<TreeChange>> DiffAsync(CatFileBatch repo, string from, string to, string? folder, CancellationToken ct)
    {
        var a = await SubtreeAsync(repo, await TreeOfAsync(repo, from, ct), folder, ct);
        var b = await SubtreeAsync(repo, await TreeOfAsync(repo, to, ct), folder, ct);
        var changes = new List<TreeChange>();
        await CompareAsync(repo, a, b, folder is null ? string.Empty : folder.TrimEnd('/') + "/", changes, ct);
        return changes;
    }

    private static async Task<string> TreeOfAsync(CatFileBatch repo, string commit, CancellationToken ct)
    {
        var obj = await repo.ReadAsync(commit, ct) ?? throw new GitException($"commit {commit} does not exist", 128, string.Empty);
        var text = Encoding.UTF8.GetString(obj.Content);
        return text.StartsWith("tree ", StringComparison.Ordinal) ? text[5..text.IndexOf('\n', StringComparison.Ordinal)] : throw new GitException($"{commit} is not a commit", 128, string.Empty);
    }

    private static async Task<string?> SubtreeAsync(CatFileBatch repo, string tree, string? folder, CancellationToken ct)
    {
        string? current = tree;
        foreach (var part in (folder ?? string.Empty).Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            if (current is null)
            {
                return null;
            }

            var entry = (await EntriesAsync(repo, current, ct)).FirstOrDefault(e => e.Name == part);
            current = entry.IsTree ? entry.Id : null;
        }

        return current;
    }

    private static async Task CompareAsync(CatFileBatch repo, string? a, string? b, string prefix, List<TreeChange> changes, CancellationToken ct)
    {
        if (a == b)
        {
            return;
        }

        var left = a is null ? [] : (await EntriesAsync(repo, a, ct)).ToDictionary(e => e.Name, StringComparer.Ordinal);
        var right = b is null ? [] : (await EntriesAsync(repo, b, ct)).ToDictionary(e => e.Name, StringComparer.Ordinal);
        foreach (var name in left.Keys.Union(right.Keys).Order(StringComparer.Ordinal))
        {
            left.TryGetValue(name, out var l);
            right.TryGetValue(name, out var r);
            var hasL = l.Name is not null;
            var hasR = r.Name is not null;
            if (hasL && hasR && l.Id == r.Id && l.Mode == r.Mode)
            {
                continue;
            }

            var path = prefix + name;
            if ((hasL && l.IsTree) || (hasR && r.IsTree))
            {
                // A folder (or a folder replacing a file): recurse; a file on the other side is added or deleted.
                await CompareAsync(repo, hasL && l.IsTree ? l.Id : null, hasR && r.IsTree ? r.Id : null, path + "/", changes, ct);
                if (hasL && !l.IsTree && !l.IsSubmodule)
                {
                    changes.Add(new TreeChange(ChangeType.Deleted, path, l.Id, null));
                }

                if (hasR && !r.IsTree && !r.IsSubmodule)
                {
                    changes.Add(new TreeChange(ChangeType.Added, path, null, r.Id));
                }

                continue;
            }

            if ((hasL && l.IsSubmodule) || (hasR && r.IsSubmodule))
            {
                continue;
            }

            changes.Add(!hasL ? new TreeChange(ChangeType.Added, path, null, r.Id)
                : !hasR ? new TreeChange(ChangeType.Deleted, path, l.Id, null)
                : new TreeChange(ChangeType.Modified, path, l.Id, r.Id));
        }
    }

    private readonly record struct Entry(string Mode, string Name, string Id)
    {
        public bool IsTree => Mode == "40000";

        public bool IsSubmodule => Mode == "160000";
    }

    /// <summary>Parses a tree object: entries of "MODE NAME\0" followed by the raw object id.</summary>
    private static async Task<List<Entry>> EntriesAsync(CatFileBatch repo, string tree, CancellationToken ct)
    {
        var obj = await repo.ReadAsync(tree, ct) ?? throw new GitException($"tree {tree} does not exist", 128, string.Empty);
        var idLength = tree.Length / 2; // 20 bytes for SHA-1, 32 for SHA-256
        var data = obj.Content;
        var entries = new List<Entry>();
        var i = 0;
        while (i < data.Length)
        {
            var space = Array.IndexOf(data, (byte)' ', i);
            var nul = Array.IndexOf(data, (byte)0, space + 1);
            var mode = Encoding.ASCII.GetString(data, i, space - i);
            var name = Encoding.UTF8.GetString(data, space + 1, nul - space - 1);
            var id = Convert.ToHexStringLower(data, nul + 1, idLength);
            entries.Add(new Entry(mode, name, id));
            i = nul + 1 + idLength;
        }

        return entries;
    }
}
