using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace GitOrch.Controller.Ui.Auth;

/// <summary>
/// The <c>UiSession</c> authentication scheme: the session cookie names a live session in
/// <see cref="UiSessions"/>; its principal carries the name and role of the credential that
/// minted the login code. A request without one is answered 401 with a page that says how to log in.
/// </summary>
internal sealed class UiSessionHandler(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, UiSessions sessions)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (!Request.Cookies.TryGetValue(UiSessionDefaults.Cookie, out var token))
        {
            return Task.FromResult(AuthenticateResult.NoResult());
        }

        if (sessions.Find(token) is not { } session)
        {
            return Task.FromResult(AuthenticateResult.Fail("the web view session is unknown or expired"));
        }

        var identity = new ClaimsIdentity(
            [new Claim(ClaimTypes.Name, session.Identity.Name), new Claim(ClaimTypes.Role, session.Identity.Role)],
            UiSessionDefaults.Scheme);
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), UiSessionDefaults.Scheme)));
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties) =>
        Pages.LoginPage.WriteRefusedAsync(Context, 401, "You are not logged in, or your session has ended.");

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties) =>
        Pages.LoginPage.WriteRefusedAsync(Context, 403, "Your credential's role may not read the web view; it needs the viewer or admin role.");
}
