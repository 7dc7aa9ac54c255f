using LibGit2Sharp;

namespace GitOrch.Git;

/// <summary>
/// Writes a run of commits onto one ref in-process through libgit2: blobs, the trees along the
/// changed paths, and commits go into the object database as they come; the ref moves once, in
/// <see cref="Complete"/>, and only if nobody moved it meanwhile. A writer dropped before then
/// leaves the ref where it was (the written objects are unreachable and collected by git gc).
/// </summary>
public sealed class CommitWriter
{
    private readonly LibRepository _lib;
    private readonly string _ref;
    private readonly string? _expectedTip;
    private TreeWriter? _tree;
    private Commit? _last;
    private bool _done;

    private CommitWriter(LibRepository lib, string refName, string? expectedTip)
    {
        _lib = lib;
        _ref = refName;
        _expectedTip = expectedTip;
    }

    /// <summary>Starts writing onto <paramref name="refName"/>, which must point at <paramref name="tip"/> (null: must not exist) when the run completes.</summary>
    public static CommitWriter Start(GitRepository repo, string refName, string? tip) => new(repo.Lib, refName, tip);

    /// <summary>
    /// Writes one commit; its first parent is the previous commit of this run, else
    /// <see cref="NewCommit.From"/>. Returns its id. A commit that throws (a path no git tree can
    /// hold, a failed write) leaves nothing of itself in the commits after it.
    /// </summary>
    public string Commit(NewCommit commit)
    {
        ObjectDisposedException.ThrowIf(_done, this);
        return _lib.Use(repo =>
        {
            var first = _last ?? (commit.From is null ? null : GitRepository.CommitOf(repo, commit.From));
            _tree ??= TreeWriter.From(first?.Tree.Id);
            try
            {
                foreach (var (path, content) in commit.Files)
                {
                    if (content is null)
                    {
                        _tree.Remove(repo, path);
                    }
                    else
                    {
                        // Written in one call to the object database: the stream overload makes a
                        // copy buffer and a native write callback for every blob.
                        _tree.Set(repo, path, repo.ObjectDatabase.Write<Blob>(content));
                    }
                }

                var tree = _tree.Write(repo);
                var parents = new List<Commit>();
                if (first is not null)
                {
                    parents.Add(first);
                }

                parents.AddRange(commit.Merges.Select(m => GitRepository.CommitOf(repo, m)));
                var author = new Signature(Clean(commit.AuthorName), Clean(commit.AuthorEmail), commit.AuthorTime.ToUniversalTime());
                var committer = new Signature(Clean(commit.CommitterName), Clean(commit.CommitterEmail), commit.CommitTime.ToUniversalTime());
                _last = repo.ObjectDatabase.CreateCommit(author, committer, commit.Message, tree, parents, prettifyMessage: false);
            }
            catch
            {
                // A commit that fails changes nothing: the next one starts again from the last
                // commit written, not from the files this one had set before it failed.
                _tree = null;
                throw;
            }

            return _last.Sha;
        });
    }

    /// <summary>Moves the ref to the last commit written, if it still points where the run started.</summary>
    public void Complete()
    {
        if (_done)
        {
            return;
        }

        _done = true;
        if (_last is null)
        {
            return;
        }

        _lib.Use(repo =>
        {
            var current = repo.Refs[_ref];
            var tip = current?.ResolveToDirectReference()?.Target?.Sha;
            if (tip != _expectedTip)
            {
                throw new GitException($"{_ref} moved to {tip ?? "nothing"} while commits were written after {_expectedTip ?? "nothing"}; not moving it", 1, string.Empty);
            }

            RemoveStaleLocks(repo.Info.Path, _ref, DateTime.UtcNow);
            try
            {
                if (current is null)
                {
                    repo.Refs.Add(_ref, _last.Id, "gitorch: mirror", allowOverwrite: false);
                }
                else
                {
                    repo.Refs.UpdateTarget(current, _last.Id, "gitorch: mirror");
                }
            }
            catch (LibGit2SharpException ex)
            {
                throw new GitException(
                    $"cannot move {_ref}: {ex.Message.TrimEnd('.', ':', ' ')}. If a git process is updating the ref, this is retried; a lock file a stopped writer left behind is removed once it is {StaleLockAge.TotalSeconds:0} s old",
                    1, string.Empty);
            }

            return true;
        });
    }

    /// <summary>How old a ref's lock file must be before it is taken for one a stopped writer left behind.</summary>
    public static readonly TimeSpan StaleLockAge = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Removes the lock files of <paramref name="refName"/> (the ref's and its reflog's) that are
    /// older than <see cref="StaleLockAge"/>. Git holds such a lock for the few milliseconds of an
    /// update; one that old was left by a writer killed in the middle of an update (a controller
    /// stopped with SIGKILL, a power cut), and libgit2, like git, refuses to move the ref while it
    /// exists, so the mirror would stop for good. A younger one may belong to a live git process
    /// and is left alone: the update fails and is retried on the next pass.
    /// </summary>
    private static void RemoveStaleLocks(string gitDir, string refName, DateTime nowUtc)
    {
        foreach (var relative in new[] { refName, "logs/" + refName })
        {
            var lockFile = Path.Combine(gitDir, relative + ".lock");
            var info = new FileInfo(lockFile);
            if (info.Exists && info.LinkTarget is null && nowUtc - info.LastWriteTimeUtc >= StaleLockAge)
            {
                try
                {
                    info.Delete();
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                    // Gone meanwhile, or not ours to remove: the update below reports it.
                }
            }
        }
    }

    /// <summary>An identity part git accepts: no angle brackets or newlines, never empty.</summary>
    private static string Clean(string s)
    {
        var clean = s.Replace("<", string.Empty, StringComparison.Ordinal).Replace(">", string.Empty, StringComparison.Ordinal).Replace("\n", " ", StringComparison.Ordinal).Trim();
        return clean.Length == 0 ? "unknown" : clean;
    }
}

/// <summary>
/// One commit to write. A file with null content is deleted. The files are read once, in order,
/// as the commit is written: a lazy sequence keeps only one file's content in memory at a time.
/// </summary>
public sealed record NewCommit(
    string AuthorName,
    string AuthorEmail,
    DateTimeOffset AuthorTime,
    string CommitterName,
    string CommitterEmail,
    DateTimeOffset CommitTime,
    string Message,
    string? From,
    IReadOnlyList<string> Merges,
    IEnumerable<KeyValuePair<string, byte[]?>> Files);
