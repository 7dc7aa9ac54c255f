using System.Text;
using GitOrch.Core.Diagnostics;
using GitOrch.Core.Validation;

namespace GitOrch.Core.Loading;

/// <summary>
/// Reads the manifests under a folder of the file system (for <c>gitorch validate</c>): regular
/// files inside the folder only. A symbolic link with a manifest's name is an error naming the
/// link (never followed, its target never read or printed); links to folders are not walked. A
/// file's size is checked before it is read (see <see cref="BoundedFiles"/>).
/// </summary>
public static class ManifestDirectory
{
    /// <summary>
    /// Every *.yaml/*.yml under <paramref name="root"/> (or the file itself) that is a regular file
    /// within the default size limit, skipping hidden paths and what .gitorchignore lists. Paths in
    /// the result are relative to the root, '/'-separated. Links and oversized files are diagnostics.
    /// </summary>
    public static IReadOnlyList<ManifestFile> Read(string root, ICollection<Diagnostic> diagnostics)
    {
        var files = new List<ManifestFile>();
        foreach (var (full, shown) in Find(root, diagnostics))
        {
            if (Check(full, shown, diagnostics) is { } size)
            {
                if (BoundedFiles.WithinDefault(size))
                {
                    TryRead(full, shown, size, files, diagnostics);
                }
                else
                {
                    diagnostics.Add(BoundedFiles.TooLarge(shown, size, InputLimits.DefaultMaxFileBytes));
                }
            }
        }

        return files;
    }

    /// <summary>
    /// Reads and loads the manifests under <paramref name="root"/>: files within the default size
    /// limit first, then larger ones only if the ClusterPolicy among them raises
    /// <c>limits.maxFileBytes</c> enough.
    /// </summary>
    public static IReadOnlyList<FileLoadResult> Load(string root, ICollection<Diagnostic> diagnostics)
    {
        var profile = StageTimer.Start("validate");
        var found = Find(root, diagnostics);
        profile?.Stage($"found {found.Count} file(s)");

        // Each file is checked, read and loaded on whichever core is free: reading a file is a few
        // system calls, which then overlap with loading others instead of all going first on one
        // thread. Nothing is shared until the results are put back in the files' order.
        var each = ManifestValidator.InOrder(found, ReadAndLoad);
        profile?.Stage($"read and loaded ({ManifestValidator.LoadThreads} thread(s))");

        var results = new List<FileLoadResult>();
        var oversized = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < found.Count; i++)
        {
            var (result, fileDiagnostics) = each[i];
            foreach (var diagnostic in fileDiagnostics)
            {
                diagnostics.Add(diagnostic);
            }

            if (result is not null)
            {
                results.Add(result);
                if (result.OversizeBytes is not null)
                {
                    oversized[found[i].Shown] = found[i].Full;
                }
            }
        }

        return BoundedFiles.Resolve(results, shown =>
        {
            var read = new List<ManifestFile>();
            return TryRead(oversized[shown], shown, InputLimits.FileBytesCeiling, read, diagnostics) ? read[0].Text : string.Empty;
        });
    }

    /// <summary>One file checked, read and loaded (with its trees released, as <see cref="ManifestValidator.LoadAll"/> does); or an oversized file's placeholder; or nothing, with the diagnostics that say why.</summary>
    private static (FileLoadResult? Result, List<Diagnostic> Diagnostics) ReadAndLoad((string Full, string Shown) file)
    {
        var diagnostics = new List<Diagnostic>();
        if (Check(file.Full, file.Shown, diagnostics) is not { } size)
        {
            return (null, diagnostics);
        }

        if (!BoundedFiles.WithinDefault(size))
        {
            return (BoundedFiles.Oversized(file.Shown, size), diagnostics);
        }

        var read = new List<ManifestFile>(1);
        return TryRead(file.Full, file.Shown, size, read, diagnostics)
            ? (ManifestLoader.LoadFileReleased(read[0]), diagnostics)
            : (null, diagnostics);
    }

    /// <summary>The manifest paths to read: (full path, path shown in diagnostics), sorted.</summary>
    private static List<(string Full, string Shown)> Find(string root, ICollection<Diagnostic> diagnostics)
    {
        if (File.Exists(root) || new FileInfo(root).LinkTarget is not null && !Directory.Exists(root))
        {
            return [(root, root)];
        }

        var ignorePath = Path.Combine(root, IgnoreRules.FileName);
        var rules = IgnoreRules.Empty;
        if (File.Exists(ignorePath) && new FileInfo(ignorePath).LinkTarget is null && new FileInfo(ignorePath).Length <= InputLimits.DefaultMaxFileBytes)
        {
            rules = new IgnoreRules(File.ReadAllText(ignorePath));
        }

        var found = new List<string>();
        Walk(root, string.Empty, rules, found, diagnostics);
        found.Sort(StringComparer.Ordinal);
        return found.Select(relative => (Path.Combine(root, relative), relative)).ToList();
    }

    private static void Walk(string root, string relative, IgnoreRules rules, List<string> found, ICollection<Diagnostic> diagnostics)
    {
        var full = relative.Length == 0 ? root : Path.Combine(root, relative);
        IEnumerable<string> entries;
        try
        {
            entries = Directory.EnumerateFileSystemEntries(full).ToList();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            diagnostics.Add(Diagnostic.Error(new SourceLocation(relative.Length == 0 ? "." : relative, 1, 1), DiagnosticCodes.Unreadable,
                $"cannot read folder ({ex.Message.TrimEnd('.')}); check that it exists and is readable"));
            return;
        }

        foreach (var entry in entries)
        {
            var name = Path.GetFileName(entry);
            if (name.StartsWith('.'))
            {
                continue;
            }

            var childRelative = relative.Length == 0 ? name : $"{relative}/{name}";
            var info = new FileInfo(entry);
            var isLink = info.LinkTarget is not null;
            var isDirectory = !isLink && info.Attributes.HasFlag(FileAttributes.Directory);
            if (rules.IsIgnored(childRelative, isDirectory))
            {
                continue;
            }

            if (isDirectory)
            {
                Walk(root, childRelative, rules, found, diagnostics);
            }
            else if (IgnoreRules.IsManifestPath(childRelative))
            {
                found.Add(childRelative); // Links too: Check reports them.
            }

            // A link to a folder is not walked: the repo's own folders are what is declared.
        }
    }

    /// <summary>The file's size if it is a regular file; otherwise a diagnostic naming it (never its target).</summary>
    private static long? Check(string full, string shown, ICollection<Diagnostic> diagnostics)
    {
        var info = new FileInfo(full);
        if (info.LinkTarget is not null)
        {
            diagnostics.Add(BoundedFiles.NotRegular(shown, "a symbolic link"));
            return null;
        }

        if (!info.Exists)
        {
            diagnostics.Add(BoundedFiles.NotRegular(shown, "not a regular file"));
            return null;
        }

        return info.Length;
    }

    /// <summary>Reads at most <paramref name="limit"/> bytes (the size seen before opening; a file that grows is cut, then fails to parse or is too large).</summary>
    private static bool TryRead(string full, string shown, long limit, List<ManifestFile> files, ICollection<Diagnostic> diagnostics)
    {
        try
        {
            using var stream = new FileStream(full, new FileStreamOptions { Mode = FileMode.Open, Access = FileAccess.Read, Options = FileOptions.None });
            var buffer = new byte[Math.Min(limit, InputLimits.FileBytesCeiling) + 1];
            var total = 0;
            int n;
            while (total < buffer.Length && (n = stream.Read(buffer, total, buffer.Length - total)) > 0)
            {
                total += n;
            }

            if (total > limit)
            {
                diagnostics.Add(BoundedFiles.TooLarge(shown, total, limit));
                return false;
            }

            files.Add(new ManifestFile(shown, Encoding.UTF8.GetString(buffer, 0, total).TrimStart('\uFEFF')));
            return true;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            diagnostics.Add(Diagnostic.Error(new SourceLocation(shown, 1, 1), DiagnosticCodes.Unreadable,
                $"cannot read file ({ex.Message.TrimEnd('.')}); check that it exists and is readable, or remove it"));
            return false;
        }
    }
}
