using GitOrch.Contracts.Replication;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace GitOrch.Controller.Replication;

/// <summary>
/// Wires the replica rules into the web host: a follower refuses every write of the API and the
/// reads marked <see cref="LeaderOnly{TBuilder}"/> with HTTP 503 naming the leader, and every node
/// call but <c>GetClusterCa</c> with gRPC <c>FailedPrecondition</c> naming the leader's node endpoint.
/// </summary>
public static class ReplicaEndpoints
{
    /// <summary>Registers the role and the node protocol's follower refusal (call before <c>AddGrpc</c> or after; both add to the same options).</summary>
    public static void AddServices(IServiceCollection services, IReplicaRole role)
    {
        services.AddSingleton(role);
        services.AddGrpc(o => o.Interceptors.Add<FollowerGrpcRefusal>());
    }

    /// <summary>The follower refusal for HTTP, after authentication and authorization (an anonymous caller learns no replica's address).</summary>
    public static void UsePipeline(WebApplication app) => app.UseMiddleware<FollowerRefusal>();

    /// <summary>Marks every endpoint of <paramref name="group"/> that writes (any method but GET and HEAD) as served by the leader only.</summary>
    public static TBuilder LeaderOnlyWrites<TBuilder>(this TBuilder group)
        where TBuilder : IEndpointConventionBuilder
    {
        group.Add(endpoint =>
        {
            var methods = endpoint.Metadata.OfType<HttpMethodMetadata>().SelectMany(m => m.HttpMethods).ToList();
            if (methods.Count == 0 || methods.Any(m => !HttpMethods.IsGet(m) && !HttpMethods.IsHead(m)))
            {
                endpoint.Metadata.Add(LeaderOnlyMetadata.Instance);
            }
        });
        return group;
    }

    /// <summary>Marks one endpoint as served by the leader only (a read that needs the leader's workflow engine or its node channels).</summary>
    public static TBuilder LeaderOnly<TBuilder>(this TBuilder endpoint)
        where TBuilder : IEndpointConventionBuilder
    {
        endpoint.Add(e => e.Metadata.Add(LeaderOnlyMetadata.Instance));
        return endpoint;
    }

    /// <summary>The answer of a follower to a request only the leader serves.</summary>
    internal static NotLeaderAnswer Answer(ReplicaView view, bool withAddresses)
    {
        var leader = view.Leader is { } l && l.Name != view.Self.Name ? l : null;
        var error = withAddresses
            ? view.Refusal()
            : $"this replica ({view.Self.Name}) does not lead; send this request to the leader";
        return new NotLeaderAnswer(error, view.Self.Name, leader?.Name, withAddresses ? leader?.ApiUrl : null);
    }
}
