using System.Security.Claims;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Infrastructure;
using Microsoft.AspNetCore.Authorization.Policy;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace GitOrch.Controller.Trust;

/// <summary>
/// Answers refused requests in the API's own words: 401 when there is no (valid) credential, 403
/// naming the role the endpoint needs, both as JSON <c>{"error": "..."}</c> that says what to do
/// (gRPC calls get the matching gRPC status instead). Every refusal is logged.
/// </summary>
internal sealed partial class JsonAuthorizationResultHandler(ILogger<JsonAuthorizationResultHandler> log) : IAuthorizationMiddlewareResultHandler
{
    private readonly AuthorizationMiddlewareResultHandler _default = new();

    public const string NoCredential =
        "this request needs a credential: a bearer token (Authorization: Bearer TOKEN; the CLI reads it from STATE/admin.credentials, "
        + "the context in ~/.config/gitorch/config, --credentials FILE or GITORCH_CREDENTIALS; an admin makes one with `gitorch token create`) or a node certificate";

    public async Task HandleAsync(RequestDelegate next, HttpContext context, AuthorizationPolicy policy, PolicyAuthorizationResult authorizeResult)
    {
        if (authorizeResult.Succeeded || policy.AuthenticationSchemes.Contains(Ui.Auth.UiSessionDefaults.Scheme))
        {
            // The web view's pages answer a browser in HTML (its UiSession scheme's challenge), not in JSON.
            await _default.HandleAsync(next, context, policy, authorizeResult);
            return;
        }

        var who = context.User.Identity?.IsAuthenticated == true ? context.User.Identity.Name ?? "?" : null;
        int status;
        string message;
        if (authorizeResult.Forbidden && who is not null)
        {
            // The requirement that failed (an endpoint's policies combine: reads need viewer, writes admin too).
            var failed = authorizeResult.AuthorizationFailure?.FailedRequirements.OfType<RolesAuthorizationRequirement>().ToList() ?? [];
            var roles = (failed.Count > 0 ? failed : policy.Requirements.OfType<RolesAuthorizationRequirement>()).Select(r => r.AllowedRoles).MinBy(r => r.Count())?.ToList() ?? [];
            var has = string.Join(", ", context.User.FindAll(ClaimTypes.Role).Select(c => c.Value));
            var reasons = authorizeResult.AuthorizationFailure?.FailureReasons.Select(r => r.Message).ToList() ?? [];
            message = reasons.Count > 0
                ? string.Join("; ", reasons)
                : $"{context.Request.Method} {context.Request.Path} needs the role {string.Join(" or ", roles)}; {who} has the role {(has.Length > 0 ? has : "none")}. Use credentials with that role (an admin makes them with `gitorch token create --role {roles.FirstOrDefault() ?? Identities.AdminRole} --name NAME`)";
            status = StatusCodes.Status403Forbidden;
        }
        else
        {
            message = context.Items[BearerTokenHandler.RefusalItem] as string is { } refusal
                ? $"the credential was refused: {refusal}"
                : NoCredential;
            status = StatusCodes.Status401Unauthorized;
        }

        LogRefused(log, status, context.Request.Method, context.Request.Path, who ?? "anonymous", context.Connection.RemoteIpAddress?.ToString() ?? "?", message);
        if (context.Request.ContentType?.StartsWith("application/grpc", StringComparison.Ordinal) == true)
        {
            // A trailers-only gRPC answer: UNAUTHENTICATED (16) or PERMISSION_DENIED (7).
            context.Response.StatusCode = StatusCodes.Status200OK;
            context.Response.ContentType = "application/grpc";
            context.Response.Headers["grpc-status"] = status == StatusCodes.Status401Unauthorized ? "16" : "7";
            context.Response.Headers["grpc-message"] = Uri.EscapeDataString(message);
            return;
        }

        if (status == StatusCodes.Status401Unauthorized)
        {
            context.Response.Headers.WWWAuthenticate = "Bearer";
        }

        await Results.Json(new Api.ErrorModel(message), statusCode: status).ExecuteAsync(context);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Refused ({Status}) {Method} {Path} by {Who} from {Remote}: {Reason}")]
    private static partial void LogRefused(ILogger logger, int status, string method, string path, string who, string remote, string reason);
}
