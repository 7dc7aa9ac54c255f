using GitOrch.Contracts.Agent;
using GitOrch.Contracts.Replication;
using Grpc.Core;
using Grpc.Core.Interceptors;

namespace GitOrch.Controller.Replication;

/// <summary>
/// A follower refuses every node call but <c>GetClusterCa</c> (the CA is the cluster's, whoever
/// leads): <c>FailedPrecondition</c> with the leader's node endpoint in the
/// <see cref="LeaderHint.AgentUrlTrailer"/> trailer when a leader is known, <c>Unavailable</c> with
/// the reason otherwise (an agent then tries its next server).
/// </summary>
internal sealed class FollowerGrpcRefusal(IReplicaRole role) : Interceptor
{
    private const string CaMethod = nameof(NodeService.NodeServiceBase.GetClusterCa);

    public override Task<TResponse> UnaryServerHandler<TRequest, TResponse>(TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        Check(context);
        return continuation(request, context);
    }

    public override Task<TResponse> ClientStreamingServerHandler<TRequest, TResponse>(IAsyncStreamReader<TRequest> requestStream, ServerCallContext context, ClientStreamingServerMethod<TRequest, TResponse> continuation)
    {
        Check(context);
        return continuation(requestStream, context);
    }

    public override Task ServerStreamingServerHandler<TRequest, TResponse>(TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        Check(context);
        return continuation(request, responseStream, context);
    }

    public override Task DuplexStreamingServerHandler<TRequest, TResponse>(IAsyncStreamReader<TRequest> requestStream, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, DuplexStreamingServerMethod<TRequest, TResponse> continuation)
    {
        Check(context);
        return continuation(requestStream, responseStream, context);
    }

    private void Check(ServerCallContext context)
    {
        if (context.Method.EndsWith("/" + CaMethod, StringComparison.Ordinal))
        {
            return;
        }

        var view = role.Current;
        if (view.IsLeader)
        {
            return;
        }

        var leader = view.Leader is { } l && l.Name != view.Self.Name ? l : null;
        if (leader?.AgentUrl is not { } agentUrl)
        {
            throw new RpcException(new Status(StatusCode.Unavailable, $"this replica ({view.Self.Name}) is not the leader and knows no leader's node endpoint ({view.Why ?? "no leader elected yet"}); try another replica"));
        }

        var trailers = new Metadata { { LeaderHint.AgentUrlTrailer, agentUrl }, { LeaderHint.NameTrailer, leader.Name } };
        throw new RpcException(
            new Status(StatusCode.FailedPrecondition, $"this replica ({view.Self.Name}) is a follower; the leader is {leader.Name} at {agentUrl}; connect there"),
            trailers);
    }
}
