using System.Globalization;
using System.Text;

namespace GitOrch.Git;

/// <summary>
/// A repository on disk, driven through the git CLI: refs, trees, diffs and objects. Object reads
/// go through one long-lived <see cref="CatFileBatch"/>.
/// </summary>
public sealed class GitRepository : IAsyncDisposable
{
    private const string EmptyTree = "4b825dc642cb6eb9a060e54bf8d69288fbee4904";

    public GitRepository(string path)
    {
        Path = path;
        Objects = new CatFileBatch(path);
    }

    public string Path { get; }

    public CatFileBatch Objects { get; }

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
    public async Task<string?> ResolveAsync(string revision, CancellationToken ct)
    {
        try
        {
            return (await RunAsync(ct, "rev-parse", "--verify", "--quiet", revision + "^{commit}")).Trim();
        }
        catch (GitException ex) when (ex.ExitCode == 1 || ex.ExitCode == 128)
        {
            return null;
        }
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
    public async Task<IReadOnlyList<TreeChange>> DiffTreeAsync(string? from, string to, string? under, CancellationToken ct)
    {
        var args = new List<string> { "diff-tree", "-r", "-z", "--no-renames", "--no-commit-id", from ?? EmptyTree, to };
        if (!string.IsNullOrEmpty(under))
        {
            args.Add("--");
            args.Add(under);
        }

        var text = await GitRunner.RunAsync(Path, args, ct);
        var fields = text.Split('\0');
        var changes = new List<TreeChange>();
        for (var i = 0; i + 1 < fields.Length; i += 2)
        {
            // ":100644 100644 <old> <new> M" then the path.
            var meta = fields[i].TrimStart(':').Split(' ');
            if (meta.Length < 5)
            {
                continue;
            }

            var path = fields[i + 1];
            var type = meta[4][0] switch
            {
                'A' => ChangeType.Added,
                'D' => ChangeType.Deleted,
                _ => ChangeType.Modified,
            };
            var isZero = (string s) => s.All(c => c == '0');
            changes.Add(new TreeChange(type, path, isZero(meta[2]) ? null : meta[2], isZero(meta[3]) ? null : meta[3]));
        }

        return changes;
    }

    /// <summary>Every file of a commit's tree, optionally under a folder.</summary>
    public async Task<IReadOnlyList<TreeEntry>> ListTreeAsync(string commit, string? under, CancellationToken ct)
    {
        var args = new List<string> { "ls-tree", "-r", "-z", "--full-tree", commit };
        if (!string.IsNullOrEmpty(under))
        {
            args.Add("--");
            args.Add(under);
        }

        var text = await GitRunner.RunAsync(Path, args, ct);
        var entries = new List<TreeEntry>();
        foreach (var record in text.Split('\0', StringSplitOptions.RemoveEmptyEntries))
        {
            var tab = record.IndexOf('\t', StringComparison.Ordinal);
            var meta = record[..tab].Split(' ');
            entries.Add(new TreeEntry(meta[0], meta[1], meta[2], record[(tab + 1)..]));
        }

        return entries;
    }

    /// <summary>
    /// Files of a commit's tree with their mode and size, under a folder or for the given paths:
    /// what a reader checks before it reads a blob (symlinks, sizes).
    /// </summary>
    public async Task<IReadOnlyList<SizedTreeEntry>> ListTreeSizedAsync(string commit, string? under, IReadOnlyList<string>? paths, CancellationToken ct)
    {
        var args = new List<string> { "ls-tree", "-r", "-l", "-z", "--full-tree", commit, "--" };
        if (paths is not null)
        {
            if (paths.Count == 0)
            {
                return [];
            }

            args.AddRange(paths.Select(p => ":(literal)" + p));
        }
        else if (!string.IsNullOrEmpty(under))
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

    /// <summary>Reads a commit through cat-file and parses author, time, subject and parents.</summary>
    public async Task<CommitInfo> ReadCommitAsync(string sha, CancellationToken ct)
    {
        var obj = await Objects.ReadAsync(sha, ct) ?? throw new GitException($"commit {sha} does not exist", 128, string.Empty);
        if (obj.Type != "commit")
        {
            throw new GitException($"{sha} is a {obj.Type}, not a commit", 128, string.Empty);
        }

        return ParseCommit(obj.Id, Encoding.UTF8.GetString(obj.Content));
    }

    internal static CommitInfo ParseCommit(string sha, string text)
    {
        var split = text.IndexOf("\n\n", StringComparison.Ordinal);
        var headers = split < 0 ? text : text[..split];
        var message = split < 0 ? string.Empty : text[(split + 2)..];
        var parents = new List<string>();
        string name = string.Empty, email = string.Empty;
        var time = DateTimeOffset.UnixEpoch;
        foreach (var line in headers.Split('\n'))
        {
            if (line.StartsWith("parent ", StringComparison.Ordinal))
            {
                parents.Add(line[7..]);
            }
            else if (line.StartsWith("author ", StringComparison.Ordinal))
            {
                var lt = line.IndexOf('<', StringComparison.Ordinal);
                var gt = line.IndexOf('>', lt + 1);
                name = line[7..lt].Trim();
                email = line[(lt + 1)..gt];
                var rest = line[(gt + 1)..].Trim().Split(' ');
                if (long.TryParse(rest[0], NumberStyles.Integer, CultureInfo.InvariantCulture, out var seconds))
                {
                    time = DateTimeOffset.FromUnixTimeSeconds(seconds);
                }
            }
        }

        var subject = message.Split('\n', 2)[0].Trim();
        return new CommitInfo(sha, name, email, time, subject, message, parents);
    }

    /// <summary>Fetches a branch from a remote into a local ref; the result is the fetched commit.</summary>
    public async Task<string> FetchAsync(string remote, string branch, string intoRef, CancellationToken ct)
    {
        await RunAsync(ct, "fetch", "--quiet", "--no-tags", "--force", remote, $"+refs/heads/{branch}:{intoRef}");
        return await ResolveAsync(intoRef, ct) ?? throw new GitException($"fetch of {branch} from {remote} gave no commit", 128, string.Empty);
    }

    public ValueTask DisposeAsync() => Objects.DisposeAsync();
}
