using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace GitOrch.Controller.Trust;

/// <summary>Logs every authenticated write to the HTTP API (any method but GET/HEAD/OPTIONS) with who made it and how it ended.</summary>
internal sealed partial class WriteAudit(RequestDelegate next, ILogger<WriteAudit> log)
{
    public async Task InvokeAsync(HttpContext context)
    {
        var method = context.Request.Method;
        if (HttpMethods.IsGet(method) || HttpMethods.IsHead(method) || HttpMethods.IsOptions(method)
            || context.Request.ContentType?.StartsWith("application/grpc", StringComparison.Ordinal) == true)
        {
            await next(context);
            return;
        }

        await next(context);
        if (context.User.Identity?.IsAuthenticated == true)
        {
            LogWrite(log, context.User.Identity.Name ?? "?", method, context.Request.Path, context.Response.StatusCode, context.Connection.RemoteIpAddress?.ToString() ?? "?");
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Write by {Who}: {Method} {Path} -> {Status} (from {Remote})")]
    private static partial void LogWrite(ILogger logger, string who, string method, string path, int status, string remote);
}
