namespace GitOrch.Core.Logs;

/// <summary>
/// Folds runs of identical log lines into one line with a count, so that a crash loop's
/// "fatal: config file missing" printed on every restart, or a step's identical poll message,
/// reads once: <c>fatal: config file missing (×5)</c>.
/// </summary>
public static class LogFolding
{
    /// <summary>Folds runs of identical consecutive lines; a run of n &gt; 1 becomes "line (×n)".</summary>
    public static IReadOnlyList<string> Fold(IEnumerable<string> lines) =>
        Fold(lines, line => line, (line, count) => count == 1 ? line : $"{line} (×{count})");

    /// <summary>
    /// Folds runs of consecutive items with the same key; <paramref name="fold"/> gets the run's
    /// last item and its length.
    /// </summary>
    public static IReadOnlyList<T> Fold<T>(IEnumerable<T> items, Func<T, string> key, Func<T, int, T> fold)
    {
        var result = new List<T>();
        T? last = default;
        string? lastKey = null;
        var count = 0;
        foreach (var item in items)
        {
            var k = key(item);
            if (count > 0 && string.Equals(k, lastKey, StringComparison.Ordinal))
            {
                last = item;
                count++;
                continue;
            }

            if (count > 0)
            {
                result.Add(fold(last!, count));
            }

            last = item;
            lastKey = k;
            count = 1;
        }

        if (count > 0)
        {
            result.Add(fold(last!, count));
        }

        return result;
    }
}
