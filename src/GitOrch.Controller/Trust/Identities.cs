namespace GitOrch.Controller.Trust;

/// <summary>The names of the trust model: roles (as <c>ClaimTypes.Role</c> claims), the node-name claim, policies and schemes.</summary>
public static class Identities
{
    public const string AdminRole = "admin";
    public const string ViewerRole = "viewer";
    public const string NodeRole = "node";

    /// <summary>The claim that carries a node's name (from its certificate's subject).</summary>
    public const string NodeClaim = "gitorch/node";

    /// <summary>The claim that carries a token's name (who made a write).</summary>
    public const string TokenClaim = "gitorch/token";

    /// <summary>Policy: admin only.</summary>
    public const string AdminPolicy = "admin";

    /// <summary>Policy: admin or viewer (the read verbs).</summary>
    public const string ViewerPolicy = "viewer";

    /// <summary>Policy: a node certificate.</summary>
    public const string NodePolicy = "node";

    public const string BearerScheme = "Bearer";
    public const string CertificateScheme = "Certificate";

    public static readonly IReadOnlyList<string> TokenRoles = [AdminRole, ViewerRole];
}
