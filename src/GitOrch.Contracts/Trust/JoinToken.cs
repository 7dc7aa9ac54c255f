using System.Text.RegularExpressions;

namespace GitOrch.Contracts.Trust;

/// <summary>
/// A node join token, <c>gitorch1.&lt;sha256 hex of the CA certificate's DER&gt;.&lt;secret&gt;</c>:
/// the hash lets a new agent pin the cluster CA before it trusts anything the server says; the
/// secret (sent only to a server that proved it holds that CA) buys one node certificate.
/// </summary>
public sealed partial record JoinToken(string CaHash, string Secret)
{
    public const string Prefix = "gitorch1";

    public override string ToString() => $"{Prefix}.{CaHash}.{Secret}";

    public static JoinToken? TryParse(string text)
    {
        var match = Shape().Match(text.Trim());
        return match.Success ? new JoinToken(match.Groups[1].Value.ToLowerInvariant(), match.Groups[2].Value) : null;
    }

    [GeneratedRegex("^gitorch1\\.([0-9a-fA-F]{64})\\.([A-Za-z0-9_-]{20,200})$")]
    private static partial Regex Shape();
}
