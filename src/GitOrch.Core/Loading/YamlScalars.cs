using System.Globalization;

namespace GitOrch.Core.Loading;

/// <summary>Resolves plain YAML scalars to types with the YAML 1.2 core schema (yes/no/on/off stay strings).</summary>
public static class YamlScalars
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

        if (IsInteger(value))
        {
            return ScalarKind.Integer;
        }

        if (IsFloat(value) || value is ".inf" or "-.inf" or "+.inf" or ".nan" or ".NaN" or ".NAN" or ".Inf" or ".INF")
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

    /// <summary>
    /// The core schema's integers: <c>[-+]?([0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)</c>. Scanned by hand, as
    /// every plain scalar of every load passes here (a shared regular expression is contended when
    /// files load on every core). Like <c>$</c> in a .NET pattern, one final newline is allowed.
    /// </summary>
    internal static bool IsInteger(string value)
    {
        var text = Unsigned(value);

        if (text.Length > 2 && text[0] == '0' && text[1] is 'o' or 'x')
        {
            var hex = text[1] == 'x';
            foreach (var c in text[2..])
            {
                if (!(c is >= '0' and <= '7' || (c is '8' or '9' or (>= 'a' and <= 'f') or (>= 'A' and <= 'F') && hex)))
                {
                    return false;
                }
            }

            return true;
        }

        return text.Length > 0 && Digits(text) == text.Length;
    }

    /// <summary>The core schema's floats: <c>[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?</c> (one final newline allowed, as <see cref="IsInteger"/>).</summary>
    internal static bool IsFloat(string value)
    {
        var text = Unsigned(value);

        var whole = Digits(text);
        text = text[whole..];
        if (text.Length > 0 && text[0] == '.')
        {
            var fraction = Digits(text[1..]);
            if (whole == 0 && fraction == 0)
            {
                return false;
            }

            text = text[(1 + fraction)..];
        }
        else if (whole == 0)
        {
            return false;
        }

        if (text.Length > 0 && text[0] is 'e' or 'E')
        {
            text = text[1..];
            if (text.Length > 0 && text[0] is '-' or '+')
            {
                text = text[1..];
            }

            var exponent = Digits(text);
            if (exponent == 0)
            {
                return false;
            }

            text = text[exponent..];
        }

        return text.Length == 0;
    }

    /// <summary>The value without one final newline and without its sign, as both forms read it.</summary>
    private static ReadOnlySpan<char> Unsigned(string value)
    {
        var text = value.EndsWith('\n') ? value.AsSpan(0, value.Length - 1) : value.AsSpan();
        return text.Length > 0 && text[0] is '-' or '+' ? text[1..] : text;
    }

    private static int Digits(ReadOnlySpan<char> text)
    {
        var i = 0;
        while (i < text.Length && text[i] is >= '0' and <= '9')
        {
            i++;
        }

        return i;
    }
}

