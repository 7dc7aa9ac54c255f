using System.Text.RegularExpressions;

namespace GitOrch.Controller.Trust;

/// <summary>What a token's name may be.</summary>
public static partial class TokenName
{
    public static bool IsValid(string? name) => name is { Length: > 0 and <= 63 } && Shape().IsMatch(name);

    [GeneratedRegex("^[a-z0-9]([-a-z0-9._]*[a-z0-9])?$")]
    private static partial Regex Shape();
}
