using System.Text.RegularExpressions;

namespace GitOrch.Core.Loading;

/// <summary>
/// Paths to skip, from a <c>.gitorchignore</c> file at the root of the watched path: one
/// gitignore-style pattern per line (<c>#</c> comments, <c>*</c>, <c>**</c>, <c>?</c>, a trailing
/// <c>/</c> for folders, a leading <c>/</c> to anchor at the root, <c>!</c> to re-include).
/// </summary>
public sealed class IgnoreRules
{
    public const string FileName = ".gitorchignore";

    private readonly List<(Regex Pattern, bool DirectoryOnly, bool Negate)> _rules = [];

    public static IgnoreRules Empty { get; } = new(string.Empty);

    public IgnoreRules(string text)
    {
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.TrimEnd('\r').Trim();
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }

            var negate = line.StartsWith('!');
            if (negate)
            {
                line = line[1..];
            }

            var directoryOnly = line.EndsWith('/');
            line = line.TrimEnd('/');
            var anchored = line.StartsWith('/') || line.Contains('/', StringComparison.Ordinal);
            line = line.TrimStart('/');
            if (line.Length == 0)
            {
                continue;
            }

            var body = Regex.Escape(line)
                .Replace(@"\*\*/", "(.*/)?", StringComparison.Ordinal)
                .Replace(@"\*\*", ".*", StringComparison.Ordinal)
                .Replace(@"\*", "[^/]*", StringComparison.Ordinal)
                .Replace(@"\?", "[^/]", StringComparison.Ordinal);
            var regex = new Regex((anchored ? "^" : "^(.*/)?") + body + "$", RegexOptions.CultureInvariant);
            _rules.Add((regex, directoryOnly, negate));
        }
    }

    /// <summary>Whether a path relative to the root ('/'-separated) is ignored.</summary>
    public bool IsIgnored(string relativePath, bool isDirectory)
    {
        var ignored = false;
        foreach (var (pattern, directoryOnly, negate) in _rules)
        {
            if ((!directoryOnly || isDirectory) && pattern.IsMatch(relativePath))
            {
                ignored = !negate;
            }
        }

        return ignored;
    }

    /// <summary>Whether a file is ignored by a rule on it or on any folder above it.</summary>
    public bool IsFileIgnored(string relativePath)
    {
        var parts = relativePath.Split('/');
        for (var i = 1; i < parts.Length; i++)
        {
            if (IsIgnored(string.Join('/', parts.Take(i)), isDirectory: true))
            {
                return true;
            }
        }

        return IsIgnored(relativePath, isDirectory: false);
    }

    /// <summary>Whether a path names a manifest: *.yaml or *.yml, not hidden.</summary>
    public static bool IsManifestPath(string relativePath)
    {
        if (!relativePath.EndsWith(".yaml", StringComparison.OrdinalIgnoreCase)
            && !relativePath.EndsWith(".yml", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        return !relativePath.Split('/').Any(p => p.StartsWith('.'));
    }
}
