using System.Text.Json;
using GitOrch.Contracts.Replication;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace GitOrch.Controller.Replication;

/// <summary>
/// A follower refuses what only the leader serves (endpoints with <see cref="LeaderOnlyMetadata"/>)
/// with HTTP 503 and a <see cref="NotLeaderAnswer"/> naming the leader and its API URL, or, with no
/// leader known, the reason. A write that finds this replica deposed midway
/// (<see cref="NotLeaderException"/>) is answered the same way. gRPC calls are left to
/// <see cref="FollowerGrpcRefusal"/>.
/// </summary>
internal sealed partial class FollowerRefusal(RequestDelegate next, IReplicaRole role, ILogger<FollowerRefusal> log)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public async Task InvokeAsync(HttpContext context)
    {
        if (context.GetEndpoint()?.Metadata.GetMetadata<LeaderOnlyMetadata>() is null)
        {
            try
            {
                await next(context);
            }
            catch (GitOrch.Core.State.JournalRefusedException ex) when (!context.Response.HasStarted)
            {
                await JournalRefusedAsync(context, ex);
            }

            return;
        }

        var view = role.Current;
        if (!view.IsLeader)
        {
            await RefuseAsync(context, view);
            return;
        }

        try
        {
            await next(context);
        }
        catch (NotLeaderException) when (!context.Response.HasStarted)
        {
            await RefuseAsync(context, role.Current);
        }
        catch (GitOrch.Core.State.JournalRefusedException ex) when (!context.Response.HasStarted)
        {
            var now = role.Current;
            if (now.IsLeader)
            {
                await JournalRefusedAsync(context, ex); // This replica leads but cannot write now (etcd): say why.
            }
            else
            {
                await RefuseAsync(context, now);
            }
        }
    }

    /// <summary>A write the journal refused (etcd unreachable, quorum lost, a term that just ended): 503 with the reason; nothing was written.</summary>
    private static async Task JournalRefusedAsync(HttpContext context, GitOrch.Core.State.JournalRefusedException ex)
    {
        context.Response.Clear();
        context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        context.Response.Headers.RetryAfter = "1";
        context.Response.ContentType = "application/json; charset=utf-8";
        await context.Response.WriteAsync(JsonSerializer.Serialize(new { error = ex.Message }, Json), context.RequestAborted);
    }

    private async Task RefuseAsync(HttpContext context, ReplicaView view)
    {
        var answer = ReplicaEndpoints.Answer(view, withAddresses: context.User.Identity?.IsAuthenticated == true);
        LogRefused(log, context.Request.Method, context.Request.Path, view.Self.Name, view.Leader?.Name ?? "none");
        context.Response.Clear();
        context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        context.Response.Headers.RetryAfter = "1";
        if (answer.Leader is { } url)
        {
            context.Response.Headers[LeaderHint.ApiUrlHeader] = url;
        }

        context.Response.ContentType = "application/json; charset=utf-8";
        await context.Response.WriteAsync(JsonSerializer.Serialize(answer, Json), context.RequestAborted);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Refused {Method} {Path}: replica {Replica} does not lead (leader: {Leader})")]
    private static partial void LogRefused(ILogger logger, string method, string path, string replica, string leader);
}
