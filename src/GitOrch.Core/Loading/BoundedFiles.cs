using GitOrch.Core.Diagnostics;

namespace GitOrch.Core.Loading;

/// <summary>
/// Reads manifest files within the limits without paying for the ones over them. A file within the
/// default limit is always read; a larger one is only a placeholder (<see cref="FileLoadResult.OversizeBytes"/>)
/// until the commit's ClusterPolicy is known, and is read only if that policy's <c>maxFileBytes</c>
/// allows it. So the policy's own file must be within the default limit.
/// </summary>
public static class BoundedFiles
{
    /// <summary>Whether a file of this size may be read before the policy is known.</summary>
    public static bool WithinDefault(long size) => size <= InputLimits.DefaultMaxFileBytes;

    /// <summary>A placeholder for a file not read yet because of its size.</summary>
    public static FileLoadResult Oversized(string path, long size) =>
        new(path, [], [TooLarge(path, size, InputLimits.DefaultMaxFileBytes)]) { OversizeBytes = size };

    /// <summary>The diagnostic for a file over the limit (at its first line: it was not read).</summary>
    public static Diagnostic TooLarge(string path, long size, long limit) =>
        Diagnostic.Error(new SourceLocation(path, 1, 1), DiagnosticCodes.FileTooLarge,
            $"the file is {size} bytes, over the limit of {limit} bytes (ClusterPolicy spec.limits.maxFileBytes), so it was not read; split it into smaller files, or raise the limit in a reviewed change");

    /// <summary>The diagnostic for a path that is a symbolic link or another non-regular file. It names the path, never the target.</summary>
    public static Diagnostic NotRegular(string path, string what) =>
        Diagnostic.Error(new SourceLocation(path, 1, 1), DiagnosticCodes.NotRegularFile,
            $"{path} is {what}; manifests are read from regular files inside the repository only and links are never followed: replace it with the file itself, or list it in .gitorchignore");

    /// <summary>
    /// Replaces each oversized placeholder by the file's load result when the policy among the
    /// loaded files allows its size, or by the diagnostic with the effective limit when not.
    /// </summary>
    public static IReadOnlyList<FileLoadResult> Resolve(IReadOnlyList<FileLoadResult> files, Func<string, string> read)
    {
        if (!files.Any(f => f.OversizeBytes is not null))
        {
            return files;
        }

        var limits = InputLimits.Of(files.Where(f => f.OversizeBytes is null));
        return files.Select(f => f.OversizeBytes is not { } size
            ? f
            : size <= limits.MaxFileBytes
                ? ManifestLoader.LoadFileReleased(new ManifestFile(f.File, read(f.File)))
                : new FileLoadResult(f.File, [], [TooLarge(f.File, size, limits.MaxFileBytes)]) { OversizeBytes = size }).ToList();
    }
}
