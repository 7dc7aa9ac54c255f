using System.Security.Claims;
using GitOrch.Contracts.Trust;
using GitOrch.Controller.Trust;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;

namespace GitOrch.Controller.Api;

/// <summary>Credentials for people (<c>/tokens</c>) and join tokens for nodes (<c>/join-tokens</c>); admin only, reads included.</summary>
public static class TokenEndpoints
{
    public static readonly TimeSpan DefaultJoinTtl = TimeSpan.FromHours(24);

    public static void Map(IEndpointRouteBuilder app, TokenStore tokens, ClusterPki pki)
    {
        var api = app.MapGroup("/api/v1").RequireAuthorization(Identities.AdminPolicy);

        api.MapGet("/tokens", () => Results.Ok(tokens.List().Select(ToModel).ToList()));

        api.MapPost("/tokens", ([FromBody] CreateTokenRequest request, HttpContext context) =>
        {
            if (!Identities.TokenRoles.Contains(request.Role))
            {
                return Results.BadRequest(new ErrorModel($"--role \"{request.Role}\" is not a role; use one of: {string.Join(", ", Identities.TokenRoles)}"));
            }

            if (!TokenName.IsValid(request.Name))
            {
                return Results.BadRequest(new ErrorModel($"--name \"{request.Name}\" is not a token name; use 1 to 63 lowercase letters, digits, '-', '.' or '_'"));
            }

            if (request.TtlSeconds is <= 0)
            {
                return Results.BadRequest(new ErrorModel("--ttl must be positive (for example 24h or 30m)"));
            }

            try
            {
                var secret = tokens.Create(request.Name, TokenStore.ApiKind, request.Role, request.TtlSeconds is { } s ? TimeSpan.FromSeconds(s) : null, Who(context));
                var server = $"{context.Request.Scheme}://{context.Request.Host}";
                return Results.Ok(new ClusterCredentials { Server = server, CaCertificate = pki.CaPem, Token = secret });
            }
            catch (InvalidOperationException ex)
            {
                return Results.Conflict(new ErrorModel(ex.Message));
            }
        });

        api.MapPost("/tokens/{name}/revoke", (string name) =>
            tokens.Revoke(name)
                ? Results.Ok(new { name, revoked = true })
                : Results.NotFound(new ErrorModel($"no token named {name}; list them with `gitorch token ls`")));

        api.MapPost("/join-tokens", ([FromBody] CreateJoinTokenRequest request, HttpContext context) =>
        {
            if (request.TtlSeconds is <= 0)
            {
                return Results.BadRequest(new ErrorModel("--ttl must be positive (for example 24h or 30m)"));
            }

            var ttl = request.TtlSeconds is { } s ? TimeSpan.FromSeconds(s) : DefaultJoinTtl;
            var name = tokens.NextName("join");
            var secret = tokens.Create(name, TokenStore.JoinKind, TokenStore.JoinRole, ttl, Who(context));
            var expires = tokens.List().First(t => t.Name == name).ExpiresAt!.Value;
            return Results.Ok(new JoinTokenModel(name, new JoinToken(pki.CaHash, secret).ToString(), expires));
        });
    }

    private static string Who(HttpContext context) => context.User.FindFirstValue(ClaimTypes.Name) ?? "?";

    private static TokenModel ToModel(TokenRecord t) => new(t.Name, t.Kind, t.Role, t.CreatedAt, t.ExpiresAt, t.RevokedAt, t.CreatedBy);
}

public sealed record CreateTokenRequest(string Role, string Name, double? TtlSeconds);

public sealed record CreateJoinTokenRequest(double? TtlSeconds);

public sealed record TokenModel(string Name, string Kind, string Role, DateTimeOffset CreatedAt, DateTimeOffset? ExpiresAt, DateTimeOffset? RevokedAt, string CreatedBy);

public sealed record JoinTokenModel(string Name, string Token, DateTimeOffset ExpiresAt);
