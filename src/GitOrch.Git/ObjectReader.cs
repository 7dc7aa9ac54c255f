using System.Text;
using LibGit2Sharp;

namespace GitOrch.Git;

/// <summary>
/// Reads blobs in-process through libgit2 (LibGit2Sharp): by id or by a revision path such as
/// <c>HEAD:apps/web.yaml</c>. Calls are serialised on the repository's handle.
/// </summary>
public sealed class ObjectReader
{
    private readonly LibRepository _lib;

    internal ObjectReader(LibRepository lib) => _lib = lib;

    /// <summary>How many objects were read; for benchmarks and tests.</summary>
    public int Reads { get; private set; }

    /// <summary>A blob's id and content, or null when the name names no blob.</summary>
    public Task<GitObject?> ReadAsync(string name, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        return Task.FromResult(_lib.Use(repo =>
        {
            Reads++;
            if (Lookup(repo, name) is not Blob blob)
            {
                return null;
            }

            var content = new byte[checked((int)blob.Size)];
            using (var stream = blob.GetContentStream())
            {
                stream.ReadExactly(content);
            }

            return new GitObject(blob.Sha, "blob", content);
        }));
    }

    /// <summary>A blob's content as UTF-8 text, or null when the name names no blob.</summary>
    public async Task<string?> ReadTextAsync(string name, CancellationToken ct) =>
        await ReadAsync(name, ct) is { } obj ? Encoding.UTF8.GetString(obj.Content) : null;

    internal static LibGit2Sharp.GitObject? Lookup(Repository repo, string name)
    {
        if (name.Contains('\n', StringComparison.Ordinal))
        {
            throw new ArgumentException("object names cannot contain a newline", nameof(name));
        }

        try
        {
            // A full object id is looked up directly: as a revision it would first be tried as a ref name.
            return ObjectId.TryParse(name, out var id) && name.Length == 40 ? repo.Lookup(id) : repo.Lookup(name);
        }
        catch (Exception ex) when (ex is LibGit2SharpException or ArgumentException)
        {
            return null;
        }
    }
}
