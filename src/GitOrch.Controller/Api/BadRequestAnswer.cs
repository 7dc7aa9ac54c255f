using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace GitOrch.Controller.Api;

/// <summary>
/// A request whose parameters or body cannot be read (a number that is not one, a missing required
/// parameter, a body that is not the JSON the endpoint takes) is answered in the API's own words: on
/// <c>/api/</c>, a 400 (or the status the binder chose, such as 415) as JSON <c>{"error": "..."}</c>
/// naming the parameter and what was sent; elsewhere (the web view) the bare status, as before. The
/// endpoints' binders throw for it (<see cref="RouteHandlerOptions.ThrowOnBadRequest"/>, set with
/// this middleware), except for an optional parameter that is not of its type, where the generated
/// binder sets a bare 400 without saying which: that 400 is answered naming the typed parameters
/// the query gave.
/// </summary>
internal sealed partial class BadRequestAnswer(RequestDelegate next, ILogger<BadRequestAnswer> log)
{
    public async Task InvokeAsync(HttpContext context)
    {
        string reason;
        try
        {
            await next(context);
            if (context.Response.StatusCode != StatusCodes.Status400BadRequest || context.Response.HasStarted || context.Response.ContentType is not null)
            {
                // Not a 400, or one the endpoint answered itself.
                return;
            }

            // A 400 the binder set without throwing (an optional parameter, such as ?limit=, that is
            // not of its type) and nothing written: the parameters given that it reads by type.
            var given = context.GetEndpoint()?.Metadata.GetOrderedMetadata<Microsoft.AspNetCore.Http.Metadata.IParameterBindingMetadata>()
                .Where(p => p.HasTryParse && context.Request.Query.ContainsKey(p.Name))
                .Select(p => $"\"{TypeName(p.ParameterInfo.ParameterType)} {p.Name}\" from \"{context.Request.Query[p.Name]}\"")
                .ToList() ?? [];
            reason = given.Count switch
            {
                0 => "A parameter could not be read.",
                1 => $"Failed to bind parameter {given[0]}.",
                _ => $"Failed to bind one of the parameters {string.Join(", ", given)}.",
            };
        }
        catch (BadHttpRequestException ex) when (!context.Response.HasStarted)
        {
            context.Response.Clear();
            context.Response.StatusCode = ex.StatusCode;
            reason = ex.Message;
        }

        LogRefused(log, context.Response.StatusCode, context.Request.Method, context.Request.Path, reason);
        if (context.Request.Path.StartsWithSegments("/api", StringComparison.Ordinal))
        {
            await Results.Json(new ErrorModel($"{reason} Fix the request (the gitorch commands send each parameter in the form the API takes)."), statusCode: context.Response.StatusCode).ExecuteAsync(context);
        }
    }

    // As the binder's own messages name types: "int? limit".
    private static string TypeName(Type type) => Nullable.GetUnderlyingType(type) is { } inner ? TypeName(inner) + "?" : Type.GetTypeCode(type) switch
    {
        TypeCode.Int32 => "int",
        TypeCode.Int64 => "long",
        TypeCode.Boolean => "bool",
        TypeCode.Double => "double",
        TypeCode.String => "string",
        _ => type.Name,
    };

    [LoggerMessage(Level = LogLevel.Information, Message = "Refused ({Status}) {Method} {Path}: {Reason}")]
    private static partial void LogRefused(ILogger logger, int status, string method, string path, string reason);
}
