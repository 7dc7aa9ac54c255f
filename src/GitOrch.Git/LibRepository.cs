using LibGit2Sharp;

namespace GitOrch.Git;

/// <summary>
/// One libgit2 handle on a repository, opened on first use and used by one caller at a time
/// (libgit2 handles are not safe for concurrent use).
/// </summary>
internal sealed class LibRepository(string path) : IDisposable
{
    static LibRepository()
    {
        // As the git CLI: objects read are not re-hashed, and trees written are not checked entry by
        // entry for existence (the mirror writes the blobs it references just before). Both checks
        // cost more than the read or write itself.
        GlobalSettings.SetStrictHashVerification(false);
        GlobalSettings.SetEnableStrictObjectCreation(false);
    }

    private readonly Lock _gate = new();
    private Repository? _repo;
    private bool _disposed;

    public T Use<T>(Func<Repository, T> action)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_repo is null)
            {
                var found = Repository.Discover(path) ?? throw new GitException($"{path} is not in a git repository", 128, string.Empty);
                _repo = new Repository(found);
            }

            return action(_repo);
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _disposed = true;
            _repo?.Dispose();
            _repo = null;
        }
    }
}
