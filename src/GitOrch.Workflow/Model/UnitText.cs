using System.Collections.Concurrent;

namespace GitOrch.Workflow.Model;

/// <summary>
/// One shared copy of the names and name lists that units repeat: every pod's transaction has the
/// same steps with the same orderings, so 10,000 pods' units hold a handful of lists, not 30,000
/// (their state is each unit's own). The lists are read-only arrays; the cache is bounded, and a
/// full cache starts again (what it held stays valid: nothing is ever changed in place).
/// </summary>
public static class UnitText
{
    private const int MaxEntries = 4096;
    private static readonly ConcurrentDictionary<string, IReadOnlyList<string>> Lists = new(StringComparer.Ordinal);
    private static readonly ConcurrentDictionary<string, string> Names = new(StringComparer.Ordinal);

    /// <summary>The shared read-only list with these names, in this order.</summary>
    public static IReadOnlyList<string> List(IEnumerable<string> names)
    {
        var items = names.ToArray(); // Its own copy: the names are interned into it, and it may become the shared list.
        if (items.Length == 0)
        {
            return Array.Empty<string>();
        }

        var key = string.Join('\n', items);
        if (Lists.TryGetValue(key, out var shared))
        {
            return shared;
        }

        Bound(Lists);
        for (var i = 0; i < items.Length; i++)
        {
            items[i] = Name(items[i]);
        }

        return Lists.GetOrAdd(key, Array.AsReadOnly(items));
    }

    /// <summary>The shared copy of a unit's name or owner.</summary>
    public static string Name(string name)
    {
        if (Names.TryGetValue(name, out var shared))
        {
            return shared;
        }

        Bound(Names);
        return Names.GetOrAdd(name, name);
    }

    private static void Bound<T>(ConcurrentDictionary<string, T> cache)
    {
        if (cache.Count >= MaxEntries)
        {
            cache.Clear();
        }
    }
}
