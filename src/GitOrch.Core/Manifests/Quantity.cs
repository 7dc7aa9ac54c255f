using System.Globalization;

namespace GitOrch.Core.Manifests;

/// <summary>Parses resource quantities: CPU in millicores ("250m", "1.5"), memory in bytes ("64Mi", "1G").</summary>
public static class Quantity
{
    public static long CpuMillis(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return 0;
        }

        if (text.EndsWith('m'))
        {
            return long.Parse(text.AsSpan(0, text.Length - 1), NumberStyles.None, CultureInfo.InvariantCulture);
        }

        return (long)Math.Ceiling(decimal.Parse(text, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture) * 1000m);
    }

    public static long MemoryBytes(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return 0;
        }

        var (number, factor) = Suffix(text);
        return (long)Math.Ceiling(decimal.Parse(number, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture) * factor);
    }

    private static (string Number, decimal Factor) Suffix(string text)
    {
        foreach (var (suffix, factor) in Suffixes)
        {
            if (text.EndsWith(suffix, StringComparison.Ordinal))
            {
                return (text[..^suffix.Length], factor);
            }
        }

        return (text, 1m);
    }

    private static readonly (string, decimal)[] Suffixes =
    [
        ("Ki", 1024m), ("Mi", 1024m * 1024), ("Gi", 1024m * 1024 * 1024), ("Ti", 1024m * 1024 * 1024 * 1024),
        ("k", 1000m), ("K", 1000m), ("M", 1000m * 1000), ("G", 1000m * 1000 * 1000), ("T", 1000m * 1000 * 1000 * 1000),
    ];
}
