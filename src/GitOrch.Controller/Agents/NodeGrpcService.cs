using System.Security.Claims;
using System.Text.RegularExpressions;
using GitOrch.Contracts.Agent;
using GitOrch.Contracts.Trust;
using GitOrch.Controller.Trust;
using Grpc.Core;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.Logging;

namespace GitOrch.Controller.Agents;

/// <summary>
/// The controller's side of the node protocol (proto/gitorch/agent/v1/agent.proto) on the agent
/// endpoint. Every call but <c>GetClusterCa</c> and <c>Join</c> needs a node certificate, and acts
/// only for the node that certificate names (NodeRestriction): its own heartbeat, its own
/// assignments, its own pods' reports and logs.
/// </summary>
[Authorize(Policy = Identities.NodePolicy)]
internal sealed partial class NodeGrpcService(ControllerRef controller, ClusterPki pki, TokenStore tokens, ILogger<NodeGrpcService> log) : NodeService.NodeServiceBase
{
    private static readonly TimeSpan WatchSlice = TimeSpan.FromSeconds(30);

    [AllowAnonymous]
    public override Task<ClusterCa> GetClusterCa(ClusterCaRequest request, ServerCallContext context) =>
        Task.FromResult(new ClusterCa { CertificatePem = pki.CaPem });

    [AllowAnonymous]
    public override Task<JoinResponse> Join(JoinRequest request, ServerCallContext context)
    {
        var remote = context.GetHttpContext().Connection.RemoteIpAddress?.ToString() ?? "?";
        if (JoinToken.TryParse(request.Token) is not { } token)
        {
            throw Refuse(StatusCode.InvalidArgument, request.Node, remote, "the join token is malformed; it looks like gitorch1.<64 hex>.<secret>: get one with `gitorch node token`");
        }

        if (token.CaHash != pki.CaHash)
        {
            throw Refuse(StatusCode.PermissionDenied, request.Node, remote, $"the join token is for another cluster (CA sha256 {token.CaHash}, this cluster's is {pki.CaHash}); get a token from this cluster with `gitorch node token`");
        }

        var check = tokens.Check(token.Secret, TokenStore.JoinKind);
        if (!check.Valid)
        {
            throw Refuse(StatusCode.Unauthenticated, request.Node, remote, check.Refusal!);
        }

        if (!NodeName().IsMatch(request.Node) || request.Node.Length > 63)
        {
            throw Refuse(StatusCode.InvalidArgument, request.Node, remote, $"the node name \"{request.Node}\" is not a DNS-1123 label (lowercase letters, digits and '-', at most 63 characters); give --node another name");
        }

        System.Security.Cryptography.X509Certificates.X509Certificate2 certificate;
        try
        {
            certificate = pki.IssueNodeCertificate(request.Node, request.CertificateRequest.ToByteArray());
        }
        catch (System.Security.Cryptography.CryptographicException ex)
        {
            throw Refuse(StatusCode.InvalidArgument, request.Node, remote, $"the certificate request is not a valid PKCS#10 request ({ex.Message})");
        }

        using (certificate)
        {
            tokens.RecordNodeCertificate(certificate.SerialNumber, request.Node);
            LogJoined(log, request.Node, check.Token!.Name, remote, certificate.NotAfter);
            return Task.FromResult(new JoinResponse { CertificatePem = certificate.ExportCertificatePem(), CaCertificatePem = pki.CaPem });
        }
    }

    public override Task<HeartbeatAck> Heartbeat(NodeHeartbeat request, ServerCallContext context)
    {
        var node = Caller(context, request.Node, "send a heartbeat");
        var gateway = controller.Value.Agents;
        var heartbeat = request.FromProto();
        var accepted = new List<Core.AgentApi.PodReport>();
        var ack = new HeartbeatAck();
        foreach (var pod in heartbeat.Pods)
        {
            var owner = gateway.NodeOf(pod.Pod);
            if (owner == node)
            {
                accepted.Add(pod);
                continue;
            }

            ack.RefusedPods.Add(pod.Pod);
            if (owner is not null)
            {
                LogForeignPod(log, node, pod.Pod, owner);
            }
        }

        if (ack.RefusedPods.Count > 0)
        {
            ack.Message = $"refused reports of pods not assigned to node {node}: {string.Join(", ", ack.RefusedPods)}; a node reports only its own pods";
        }

        gateway.Heartbeat(heartbeat with { Pods = accepted });
        ack.Revision = gateway.Assignments(node).Revision;
        ack.SetNetwork(controller.Value.Network.For(node));
        return Task.FromResult(ack);
    }

    public override async Task WatchAssignments(WatchRequest request, IServerStreamWriter<AssignmentSet> responseStream, ServerCallContext context)
    {
        var node = Caller(context, request.Node, "watch assignments");
        var since = request.Since;
        var ct = context.CancellationToken;
        while (!ct.IsCancellationRequested)
        {
            Core.AgentApi.AssignmentSet set;
            try
            {
                set = await controller.Value.Agents.WatchAsync(node, since, WatchSlice, ct);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }

            if (set.Revision != since)
            {
                await responseStream.WriteAsync(set.ToProto(), ct);
                since = set.Revision;
            }
        }
    }

    public override async Task LogChannel(IAsyncStreamReader<LogReply> requestStream, IServerStreamWriter<LogRequest> responseStream, ServerCallContext context)
    {
        var node = Caller(context, node: null, "open a log channel");
        var channel = new NodeLogChannel(node, responseStream);
        var channels = controller.Value.Agents.Logs;
        channels.Register(channel);
        try
        {
            while (await requestStream.MoveNext(context.CancellationToken))
            {
                channel.Complete(requestStream.Current);
            }
        }
        catch (OperationCanceledException) when (context.CancellationToken.IsCancellationRequested)
        {
            // The agent went away.
        }
        finally
        {
            channels.Unregister(channel);
        }
    }

    /// <summary>The calling node (from its certificate); refuses a call made for another node.</summary>
    private string Caller(ServerCallContext context, string? node, string what)
    {
        var user = context.GetHttpContext().User;
        var own = user.FindFirstValue(Identities.NodeClaim);
        if (own is null)
        {
            throw Refuse(StatusCode.PermissionDenied, node ?? "?", context.Peer, $"only a node certificate may {what}");
        }

        if (node is not null && node != own)
        {
            throw Refuse(StatusCode.PermissionDenied, node, context.Peer, $"this certificate belongs to node {own}; it cannot {what} for node {node}");
        }

        return own;
    }

    private RpcException Refuse(StatusCode code, string node, string remote, string why)
    {
        LogRefused(log, node, remote, why);
        return new RpcException(new Status(code, why));
    }

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")]
    private static partial Regex NodeName();

    [LoggerMessage(Level = LogLevel.Information, Message = "Node {Node} joined with join token {Token} from {Remote}; its certificate is valid until {NotAfter:u}")]
    private static partial void LogJoined(ILogger logger, string node, string token, string remote, DateTime notAfter);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Refused node call for {Node} from {Remote}: {Reason}")]
    private static partial void LogRefused(ILogger logger, string node, string remote, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Refused node {Node}'s report of pod {Pod}: it is assigned to node {Owner}")]
    private static partial void LogForeignPod(ILogger logger, string node, string pod, string owner);
}
