using GitOrch.Core.State;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace GitOrch.Controller.Api;

/// <summary>
/// A write the journal refused (this replica does not lead, no replica leads, etcd does not answer)
/// answers 503 with the journal's reason (which names the leader when there is one) and
/// Retry-After, never a 500: the client sends it to the leader or tries again later. Nothing was
/// written: the refusal rolled the store's transaction back.
/// </summary>
internal sealed partial class JournalRefusals(RequestDelegate next, ILogger<JournalRefusals> log)
{
    public async Task InvokeAsync(HttpContext context)
    {
        try
        {
            await next(context);
        }
        catch (Exception ex) when (Refusal(ex) is { } refused && !context.Response.HasStarted)
        {
            LogRefused(log, context.Request.Method, context.Request.Path, refused.Message);
            context.Response.Clear();
            context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            context.Response.Headers.RetryAfter = "2";
            await context.Response.WriteAsJsonAsync(new ErrorModel(refused.Message), context.RequestAborted);
        }
    }

    /// <summary>The journal's refusal behind <paramref name="ex"/> (stores may wrap it), or null.</summary>
    internal static JournalRefusedException? Refusal(Exception? ex)
    {
        for (var e = ex; e is not null; e = e.InnerException)
        {
            if (e is JournalRefusedException refused)
            {
                return refused;
            }
        }

        return null;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "{Method} {Path} refused: {Reason}")]
    private static partial void LogRefused(ILogger logger, string method, string path, string reason);
}
