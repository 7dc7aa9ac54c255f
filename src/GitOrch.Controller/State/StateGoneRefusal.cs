using System.Text.Json;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Microsoft.AspNetCore.Http;

namespace GitOrch.Controller.State;

/// <summary>
/// A request that fails because the state folder is gone (a disk I/O error from the deleted
/// database) is answered 503 with the guard's message, and the controller stops; the error is a
/// symptom, so no stack trace is logged for it.
/// </summary>
internal sealed class StateGoneRefusal(RequestDelegate next, StateGuard guard)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public async Task InvokeAsync(HttpContext context)
    {
        try
        {
            await next(context);
        }
        catch (Exception ex) when (ex is not OperationCanceledException && guard.StopIfGone())
        {
            if (context.Response.HasStarted)
            {
                context.Abort();
                return;
            }

            context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            await context.Response.WriteAsJsonAsync(new { error = guard.StopReason }, Json);
        }
    }
}

/// <summary>The node protocol's side of <see cref="StateGoneRefusal"/>: <c>Unavailable</c> with the guard's message (an agent tries again, or another replica).</summary>
internal sealed class StateGoneGrpcRefusal(StateGuard guard) : Interceptor
{
    public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        try
        {
            return await continuation(request, context);
        }
        catch (Exception ex) when (StopsTheController(ex))
        {
            throw Refusal();
        }
    }

    public override async Task<TResponse> ClientStreamingServerHandler<TRequest, TResponse>(IAsyncStreamReader<TRequest> requestStream, ServerCallContext context, ClientStreamingServerMethod<TRequest, TResponse> continuation)
    {
        try
        {
            return await continuation(requestStream, context);
        }
        catch (Exception ex) when (StopsTheController(ex))
        {
            throw Refusal();
        }
    }

    public override async Task ServerStreamingServerHandler<TRequest, TResponse>(TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        try
        {
            await continuation(request, responseStream, context);
        }
        catch (Exception ex) when (StopsTheController(ex))
        {
            throw Refusal();
        }
    }

    public override async Task DuplexStreamingServerHandler<TRequest, TResponse>(IAsyncStreamReader<TRequest> requestStream, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, DuplexStreamingServerMethod<TRequest, TResponse> continuation)
    {
        try
        {
            await continuation(requestStream, responseStream, context);
        }
        catch (Exception ex) when (StopsTheController(ex))
        {
            throw Refusal();
        }
    }

    /// <summary>Whether <paramref name="ex"/> is the symptom of a state folder that is gone (the guard then stops the controller).</summary>
    private bool StopsTheController(Exception ex) => ex is not OperationCanceledException and not RpcException && guard.StopIfGone();

    private RpcException Refusal() => new(new Status(StatusCode.Unavailable, guard.StopReason ?? "the controller's state folder is gone"));
}
