using System.Globalization;
using System.Text.RegularExpressions;

namespace GitOrch.Core.Loading;

/// <summary>Resolves plain YAML scalars to types with the YAML 1.2 core schema (yes/no/on/off stay strings).</summary>
public static partial class YamlScalars
{
    public static ScalarKind Resolve(string value)
    {
        if (value.Length == 0 || value is "~" or "null" or "Null" or "NULL")
        {
            return ScalarKind.Null;
        }

        if (value is "true" or "True" or "TRUE" or "false" or "False" or "FALSE")
        {
            return ScalarKind.Boolean;
        }

        if (IntPattern().IsMatch(value))
        {
            return ScalarKind.Integer;
        }

        if (FloatPattern().IsMatch(value) || value is ".inf" or "-.inf" or "+.inf" or ".nan" or ".NaN" or ".NAN" or ".Inf" or ".INF")
        {
            return ScalarKind.Float;
        }

        return ScalarKind.String;
    }

    public static bool ParseBoolean(string value) => value[0] is 't' or 'T';

    /// <summary>Parses a resolved integer; values beyond 64 bits come back as null (and stay a decimal).</summary>
    public static long? ParseInteger(string value)
    {
        var negative = value.StartsWith('-');
        var digits = value.TrimStart('+', '-');
        long result;
        bool ok;
        if (digits.StartsWith("0x", StringComparison.Ordinal))
        {
            ok = long.TryParse(digits.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out result);
        }
        else if (digits.StartsWith("0o", StringComparison.Ordinal))
        {
            ok = TryParseOctal(digits.AsSpan(2), out result);
        }
        else
        {
            ok = long.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out result);
        }

        return ok ? (negative ? -result : result) : null;
    }

    public static double ParseFloat(string value) => value switch
    {
        ".inf" or "+.inf" or ".Inf" or ".INF" => double.PositiveInfinity,
        "-.inf" => double.NegativeInfinity,
        ".nan" or ".NaN" or ".NAN" => double.NaN,
        _ => double.Parse(value, NumberStyles.Float, CultureInfo.InvariantCulture),
    };

    private static bool TryParseOctal(ReadOnlySpan<char> digits, out long result)
    {
        result = 0;
        if (digits.IsEmpty || digits.Length > 21)
        {
            return false;
        }

        foreach (var c in digits)
        {
            result = (result * 8) + (c - '0');
        }

        return true;
    }

    /// <summary>A scalar's typed value as YAML 1.2 core reads it: null, bool, long, double or string (a number too large or malformed stays its text).</summary>
    public static object? Typed(ScalarNode scalar)
    {
        switch (scalar.Kind)
        {
            case ScalarKind.Null:
                return null;
            case ScalarKind.Boolean:
                return ParseBoolean(scalar.Value);
            case ScalarKind.Integer when ParseInteger(scalar.Value) is { } i:
                return i;
            case ScalarKind.Integer or ScalarKind.Float:
                try
                {
                    return ParseFloat(scalar.Value);
                }
                catch (Exception ex) when (ex is FormatException or OverflowException)
                {
                    return scalar.Value;
                }

            default:
                return scalar.Value;
        }
    }

    [GeneratedRegex("^[-+]?([0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$")]
    private static partial Regex IntPattern();

    [GeneratedRegex(@"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$")]
    private static partial Regex FloatPattern();
}

