using Microsoft.AspNetCore.Authorization;

namespace GitOrch.Controller.Ui.Auth;

/// <summary>Names of the web view's authentication: the <c>UiSession</c> scheme, its cookie, and the policy its pages require.</summary>
public static class UiSessionDefaults
{
    public const string Scheme = "UiSession";

    /// <summary>The session cookie (HttpOnly, SameSite=Strict, Secure, path /ui).</summary>
    public const string Cookie = "gitorch-ui";

    public const string CookiePath = "/ui";

    /// <summary>Roles that may read the web view (a viewer token is enough).</summary>
    public static readonly string[] Roles = ["admin", "viewer"];

    /// <summary>Every page under /ui/ (but the login exchange and static assets): a live session of an admin or a viewer.</summary>
    public static AuthorizationPolicy Policy { get; } = new AuthorizationPolicyBuilder(Scheme).RequireAuthenticatedUser().RequireRole(Roles).Build();
}
