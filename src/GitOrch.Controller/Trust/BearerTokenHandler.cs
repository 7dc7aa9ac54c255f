using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace GitOrch.Controller.Trust;

/// <summary>The <c>Bearer</c> scheme: <c>Authorization: Bearer TOKEN</c>, checked against the token store (hash, expiry, revocation).</summary>
internal sealed partial class BearerTokenHandler(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, TokenStore tokens, State.StateGuard guard)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    /// <summary>Where a refusal's reason is kept for the 401 answer.</summary>
    public const string RefusalItem = "gitorch.refusal";

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        string? header = Request.Headers.Authorization;
        if (string.IsNullOrEmpty(header))
        {
            return Task.FromResult(AuthenticateResult.NoResult());
        }

        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return Task.FromResult(Fail("the Authorization header must be `Bearer TOKEN`"));
        }

        TokenCheck check;
        try
        {
            check = tokens.Check(header["Bearer ".Length..].Trim(), TokenStore.ApiKind);
        }
        catch (Exception ex) when (ex is not OperationCanceledException && guard.StopIfGone())
        {
            // The token store lives in the state folder, which is gone: the guard stops the
            // controller and logs what happened; the caller learns no path.
            return Task.FromResult(Fail("the controller's state folder is gone and the controller is stopping"));
        }

        if (check.Token is not { } token)
        {
            return Task.FromResult(Fail(check.Refusal!));
        }

        var identity = new ClaimsIdentity(
            [new Claim(ClaimTypes.Name, $"token/{token.Name}"), new Claim(ClaimTypes.Role, token.Role), new Claim(Identities.TokenClaim, token.Name)],
            Scheme.Name);
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), Scheme.Name)));
    }

    private AuthenticateResult Fail(string why)
    {
        LogRefused(Logger, Request.Method, Request.Path, Context.Connection.RemoteIpAddress?.ToString() ?? "?", why);
        Context.Items[RefusalItem] = why;
        return AuthenticateResult.Fail(why);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Refused {Method} {Path} from {Remote}: {Reason}")]
    private static partial void LogRefused(ILogger logger, string method, string path, string remote, string reason);
}
