using GitOrch.Core.Diagnostics;

namespace GitOrch.Core.Loading;

/// <summary>Reads the manifests under a folder of the file system (for <c>gitorch validate</c>).</summary>
public static class ManifestDirectory
{
    /// <summary>
    /// Every *.yaml/*.yml under <paramref name="root"/> (or the file itself), skipping hidden paths
    /// and what .gitorchignore lists. Paths in the result are relative to the root, '/'-separated.
    /// </summary>
    public static IReadOnlyList<ManifestFile> Read(string root, ICollection<Diagnostic> diagnostics)
    {
        var files = new List<ManifestFile>();
        if (File.Exists(root))
        {
            TryRead(root, root, files, diagnostics);
            return files;
        }

        var ignorePath = Path.Combine(root, IgnoreRules.FileName);
        var rules = File.Exists(ignorePath) ? new IgnoreRules(File.ReadAllText(ignorePath)) : IgnoreRules.Empty;
        var found = new List<string>();
        Walk(root, string.Empty, rules, found, diagnostics);
        found.Sort(StringComparer.Ordinal);
        foreach (var relative in found)
        {
            TryRead(Path.Combine(root, relative), relative, files, diagnostics);
        }

        return files;
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
            var isDirectory = info.Attributes.HasFlag(FileAttributes.Directory);
            if (info.LinkTarget is not null && isDirectory)
            {
                continue; // Folder links could loop; the repo's own folders are enough.
            }

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
                found.Add(childRelative);
            }
        }
    }

    private static void TryRead(string full, string shown, List<ManifestFile> files, ICollection<Diagnostic> diagnostics)
    {
        try
        {
            files.Add(new ManifestFile(shown, File.ReadAllText(full)));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            diagnostics.Add(Diagnostic.Error(new SourceLocation(shown, 1, 1), DiagnosticCodes.Unreadable,
                $"cannot read file ({ex.Message.TrimEnd('.')}); check that it exists and is readable, or remove it"));
        }
    }
}
