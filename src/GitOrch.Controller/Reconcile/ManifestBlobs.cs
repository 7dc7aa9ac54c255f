using GitOrch.Core.Loading;
using GitOrch.Git;

namespace GitOrch.Controller.Reconcile;

/// <summary>
/// The controller's side of bounded input: a tree entry is refused before its blob is read when it
/// is a symbolic link (mode 120000: never followed, its target never shown) or larger than the
/// default file limit (kept as a placeholder until the commit's ClusterPolicy says whether it may
/// be read). The same limits as <c>gitorch validate</c>.
/// </summary>
internal static class ManifestBlobs
{
    /// <summary>The result standing in for an entry that must not be read now, or null to read and parse it.</summary>
    public static FileLoadResult? Refuse(SizedTreeEntry entry, string relative) =>
        entry.IsSymlink
            ? new FileLoadResult(relative, [], [BoundedFiles.NotRegular(relative, "a symbolic link (mode 120000 in the commit)")])
            : !BoundedFiles.WithinDefault(entry.Size) ? BoundedFiles.Oversized(relative, entry.Size) : null;

    /// <summary>
    /// Reads the oversized files that the commit's ClusterPolicy allows (or keeps their diagnostic
    /// with the effective limit), and checks again the large files an earlier policy allowed: a
    /// policy that lowers the limit makes them errors. Every other file is returned as it is.
    /// </summary>
    public static async Task<Dictionary<string, CachedFile>> ResolveAsync(Dictionary<string, CachedFile> files, ObjectReader objects, CancellationToken ct)
    {
        if (!files.Values.Any(f => f.Result.OversizeBytes is not null || f.LargeBytes is not null))
        {
            return files;
        }

        var limits = InputLimits.Of(files.Values.Where(f => f.Result.OversizeBytes is null).Select(f => f.Result));
        var resolved = new Dictionary<string, CachedFile>(files, StringComparer.Ordinal);
        foreach (var (path, file) in files)
        {
            if ((file.Result.OversizeBytes ?? file.LargeBytes) is not { } size)
            {
                continue;
            }

            if (size > limits.MaxFileBytes)
            {
                resolved[path] = new CachedFile(file.Blob, new FileLoadResult(path, [], [BoundedFiles.TooLarge(path, size, limits.MaxFileBytes)]) { OversizeBytes = size });
            }
            else if (file.Result.OversizeBytes is not null)
            {
                resolved[path] = new CachedFile(file.Blob, ManifestLoader.LoadFileReleased(new ManifestFile(path, await objects.ReadTextAsync(file.Blob, ct) ?? string.Empty))) { LargeBytes = size };
            }
        }

        return resolved;
    }
}
