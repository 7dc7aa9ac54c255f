using System.Globalization;
using System.Text;
using LibGit2Sharp;

namespace GitOrch.Git;

/// <summary>
/// A repository on disk. Commits, trees, blobs and tree diffs are read in-process through libgit2
/// (LibGit2Sharp); the git CLI stays for what needs the user's git setup (fetch and push with
/// credential helpers and SSH) and for work-tree commands.
/// </summary>
public sealed class GitRepository : IAsyncDisposable
{
    private readonly LibRepository _lib;

    public GitRepository(string path)
    {
        Path = path;
        _lib = new LibRepository(path);
        Objects = new ObjectReader(_lib);
    }

    public string Path { get; }

    public ObjectReader Objects { get; }

    internal LibRepository Lib => _lib;

    public Task<string> RunAsync(CancellationToken ct, params string[] args) => GitRunner.RunAsync(Path, args, ct);

    /// <summary>The top folder of the work tree that holds <paramref name="path"/>, or null when it is in no repository.</summary>
    public static async Task<string?> FindTopLevelAsync(string path, CancellationToken ct)
    {
        try
        {
            return (await GitRunner.RunAsync(path, ["rev-parse", "--show-toplevel"], ct)).Trim();
        }
        catch (GitException)
        {
            return null;
        }
    }

    /// <summary>The commit a revision names, or null when it names none.</summary>
    public Task<string?> ResolveAsync(string revision, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        return Task.FromResult(_lib.Use(repo => ObjectReader.Lookup(repo, revision) is { } found ? PeelToCommit(found)?.Sha : null));
    }

    /// <summary>The current branch of HEAD (null when detached).</summary>
    public async Task<string?> CurrentBranchAsync(CancellationToken ct)
    {
        try
        {
            var name = (await RunAsync(ct, "symbolic-ref", "--quiet", "--short", "HEAD")).Trim();
            return name.Length == 0 ? null : name;
        }
        catch (GitException)
        {
            return null;
        }
    }

    public async Task<bool> IsAncestorAsync(string ancestor, string descendant, CancellationToken ct)
    {
        try
        {
            await RunAsync(ct, "merge-base", "--is-ancestor", ancestor, descendant);
            return true;
        }
        catch (GitException ex) when (ex.ExitCode == 1)
        {
            return false;
        }
    }

    public async Task<bool> ExistsAsync(string sha, CancellationToken ct) => await ResolveAsync(sha, ct) is not null;

    /// <summary>First-parent commits after <paramref name="from"/> up to <paramref name="to"/>, oldest first.</summary>
    public async Task<IReadOnlyList<string>> FirstParentCommitsAsync(string? from, string to, CancellationToken ct)
    {
        var range = from is null ? to : $"{from}..{to}";
        var text = await RunAsync(ct, "rev-list", "--first-parent", "--reverse", range);
        return text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }

    /// <summary>Files that differ between two commits (or from nothing), optionally under a folder.</summary>
    public Task<IReadOnlyList<TreeChange>> DiffTreeAsync(string? from, string to, string? under, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        return Task.FromResult(_lib.Use(repo =>
        {
            var paths = string.IsNullOrEmpty(under) ? null : new[] { under };
            using var changes = repo.Diff.Compare<TreeChanges>(from is null ? null : CommitOf(repo, from).Tree, CommitOf(repo, to).Tree, paths, null, NoRenames);
            return ToChanges(changes, string.Empty);
        }));
    }

    /// <summary>Every file of a commit's tree, optionally under a folder (a path to a file lists that file).</summary>
    public Task<IReadOnlyList<TreeEntry>> ListTreeAsync(string commit, string? under, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        return Task.FromResult(_lib.Use<IReadOnlyList<TreeEntry>>(repo =>
        {
            var tree = CommitOf(repo, commit).Tree;
            var entries = new List<TreeEntry>();
            if (string.IsNullOrEmpty(under))
            {
                Walk(tree, entries);
                return entries;
            }

            switch (tree[under.Trim('/')])
            {
                case { TargetType: TreeEntryTargetType.Tree } folder:
                    Walk((Tree)folder.Target, entries);
                    break;
                case { } file:
                    entries.Add(ToEntry(file));
                    break;
            }

            return entries;
        }));
    }

    /// <summary>A file with its size, or every file under a folder (as <c>git ls-tree -r -l</c> lists them).</summary>
    private static void AddSized(Repository repo, LibGit2Sharp.TreeEntry entry, string path, List<SizedTreeEntry> into)
    {
        switch (entry.TargetType)
        {
            case TreeEntryTargetType.Tree:
                foreach (var child in (Tree)entry.Target)
                {
                    AddSized(repo, child, path.TrimEnd('/') + "/" + child.Name, into);
                }

                break;
            case TreeEntryTargetType.GitLink:
                into.Add(new SizedTreeEntry(Convert.ToString((int)entry.Mode, 8).PadLeft(6, '0'), "commit", entry.Target.Sha, 0, path));
                break;
            default:
                into.Add(new SizedTreeEntry(Convert.ToString((int)entry.Mode, 8).PadLeft(6, '0'), "blob", entry.Target.Sha,
                    repo.ObjectDatabase.RetrieveObjectMetadata(entry.Target.Id).Size, path));
                break;
        }
    }

    /// <summary>
    /// A path as git stores it ('/'-separated). LibGit2Sharp gives native separators, so only on
    /// Windows is a '\\' a separator; elsewhere it is part of a file's name and stays.
    /// </summary>
    private static string GitPath(string path) => System.IO.Path.DirectorySeparatorChar == '\\' ? path.Replace('\\', '/') : path;

    private static void Walk(Tree tree, List<TreeEntry> into)
    {
        foreach (var entry in tree)
        {
            if (entry.TargetType == TreeEntryTargetType.Tree)
            {
                Walk((Tree)entry.Target, into);
            }
            else
            {
                into.Add(ToEntry(entry));
            }
        }
    }

    private static TreeEntry ToEntry(LibGit2Sharp.TreeEntry entry) => new(
        Convert.ToString((int)entry.Mode, 8).PadLeft(6, '0'),
        entry.TargetType == TreeEntryTargetType.GitLink ? "commit" : "blob",
        entry.Target.Sha,
        GitPath(entry.Path));

    /// <summary>Reads a commit's author, time, subject, message and parents.</summary>
    public Task<CommitInfo> ReadCommitAsync(string sha, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        return Task.FromResult(_lib.Use(repo =>
        {
            var commit = CommitOf(repo, sha);
            var message = commit.Message ?? string.Empty;
            return new CommitInfo(commit.Sha, commit.Author.Name, commit.Author.Email, DateTimeOffset.FromUnixTimeSeconds(commit.Author.When.ToUnixTimeSeconds()),
                message.Split('\n', 2)[0].Trim(), message, [.. commit.Parents.Select(p => p.Sha)]);
        }));
    }

    internal static readonly LibGit2Sharp.CompareOptions NoRenames = new() { Similarity = SimilarityOptions.None, IncludeUnmodified = false };

    internal static Commit CommitOf(Repository repo, string sha) => ObjectReader.Lookup(repo, sha) switch
    {
        Commit commit => commit,
        null => throw new GitException($"commit {sha} does not exist", 128, string.Empty),
        var other => PeelToCommit(other) ?? throw new GitException($"{sha} is a {other.GetType().Name.ToLowerInvariant()}, not a commit", 128, string.Empty),
    };

    private static Commit? PeelToCommit(LibGit2Sharp.GitObject obj)
    {
        try
        {
            return obj.Peel<Commit>();
        }
        catch (Exception ex) when (ex is LibGit2SharpException or InvalidOperationException)
        {
            return null;
        }
    }

    /// <summary>libgit2's changes as GitOrch's, paths prefixed (for a diff of subtrees).</summary>
    internal static IReadOnlyList<TreeChange> ToChanges(TreeChanges changes, string prefix)
    {
        var list = new List<TreeChange>(changes.Count);
        foreach (var change in changes)
        {
            var type = change.Status switch
            {
                ChangeKind.Added => ChangeType.Added,
                ChangeKind.Deleted => ChangeType.Deleted,
                _ => ChangeType.Modified,
            };
            list.Add(new TreeChange(type, prefix + GitPath(change.Path),
                type == ChangeType.Added ? null : change.OldOid.Sha, type == ChangeType.Deleted ? null : change.Oid.Sha));
        }

        return list;
    }

    /// <summary>
    /// Files of a commit's tree with their mode and size, under a folder or for the given paths:
    /// what a reader checks before it reads a blob (symlinks, sizes).
    /// </summary>
    public async Task<IReadOnlyList<SizedTreeEntry>> ListTreeSizedAsync(string commit, string? under, IReadOnlyList<string>? paths, CancellationToken ct)
    {
        if (paths is not null)
        {
            // A few named paths (the files a commit changed): looked up in-process, sizes from the
            // object headers, with no process to start.
            ct.ThrowIfCancellationRequested();
            return paths.Count == 0 ? [] : _lib.Use(repo =>
            {
                var tree = CommitOf(repo, commit).Tree;
                var found = new List<SizedTreeEntry>();
                foreach (var path in paths)
                {
                    if (tree[path] is { } entry)
                    {
                        AddSized(repo, entry, path.TrimEnd('/'), found);
                    }
                }

                // As ls-tree lists them: each file once, in path order.
                return (IReadOnlyList<SizedTreeEntry>)[.. found.DistinctBy(e => e.Path, StringComparer.Ordinal).OrderBy(e => e.Path, StringComparer.Ordinal)];
            });
        }

        var args = new List<string> { "ls-tree", "-r", "-l", "-z", "--full-tree", commit, "--" };
        if (!string.IsNullOrEmpty(under))
        {
            args.Add(under);
        }

        var text = await GitRunner.RunAsync(Path, args, ct);
        var entries = new List<SizedTreeEntry>();
        foreach (var record in text.Split('\0', StringSplitOptions.RemoveEmptyEntries))
        {
            // "<mode> <type> <object> <padded size>\t<path>"; the size is "-" for submodules.
            var tab = record.IndexOf('\t', StringComparison.Ordinal);
            var meta = record[..tab].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            var size = long.TryParse(meta[3], NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : 0;
            entries.Add(new SizedTreeEntry(meta[0], meta[1], meta[2], size, record[(tab + 1)..]));
        }

        return entries;
    }

    /// <summary>Fetches a branch from a remote into a local ref; the result is the fetched commit.</summary>
    public async Task<string> FetchAsync(string remote, string branch, string intoRef, CancellationToken ct)
    {
        // No housekeeping on the way: a fetch runs `git maintenance run --auto`, which repacks in the
        // foreground once loose objects pile up (the mirror writes thousands after a large apply),
        // and the next commit would wait for it. The mirror packs in its own pass (MaintainAsync).
        await RunAsync(ct, "-c", "maintenance.auto=false", "-c", "gc.auto=0", "fetch", "--quiet", "--no-tags", "--force", remote, $"+refs/heads/{branch}:{intoRef}");
        return await ResolveAsync(intoRef, ct) ?? throw new GitException($"fetch of {branch} from {remote} gave no commit", 128, string.Empty);
    }

    /// <summary>
    /// Packs loose objects and refs when git's own thresholds say so (<c>git gc --auto</c>, in the
    /// foreground of the caller: a background pass, never the sync loop).
    /// </summary>
    public Task MaintainAsync(CancellationToken ct) => RunAsync(ct, "-c", "gc.autoDetach=false", "gc", "--auto", "--quiet");

    public ValueTask DisposeAsync()
    {
        _lib.Dispose();
        return ValueTask.CompletedTask;
    }
}
