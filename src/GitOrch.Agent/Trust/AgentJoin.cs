using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using GitOrch.Contracts.Agent;
using GitOrch.Contracts.Replication;
using GitOrch.Contracts.Trust;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;

namespace GitOrch.Agent.Trust;

/// <summary>
/// Joins a cluster with a join token: asks the server for its CA, pins it only if its SHA-256 is
/// the token's, then (over a channel that trusts that CA alone) sends the token's secret with a
/// certificate request for a fresh key, and keeps the node certificate it gets back.
/// </summary>
public static class AgentJoin
{
    public static async Task<AgentIdentity> JoinAsync(string server, string token, string node, string stateDir, CancellationToken ct)
    {
        if (JoinToken.TryParse(token) is not { } join)
        {
            throw new JoinException($"--join: not a join token (it looks like gitorch1.<64 hex>.<secret>); an admin prints one with `gitorch node token`");
        }

        // 1. The CA, from a server not yet trusted: nothing secret is sent on this channel.
        string caPem;
        using (var open = Channel(server, new SocketsHttpHandler { SslOptions = new SslClientAuthenticationOptions { RemoteCertificateValidationCallback = (_, _, _, _) => true } }))
        {
            caPem = (await Call(server, trusted: false, () => new NodeService.NodeServiceClient(open).GetClusterCaAsync(new ClusterCaRequest(), deadline: Deadline(), cancellationToken: ct).ResponseAsync)).CertificatePem;
        }

        using var ca = X509Certificate2.CreateFromPem(caPem);
        var hash = CaTrust.Sha256Hex(ca);
        if (hash != join.CaHash)
        {
            throw new JoinException($"the server at {server} presents a cluster CA with sha256 {hash}, but the join token pins {join.CaHash}: it is not the cluster that issued the token. The token was not sent. Check --server, or get a token from that cluster with `gitorch node token`");
        }

        // 2. The token, only to a server whose certificate chains to the pinned CA.
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={node}", key, HashAlgorithmName.SHA256);
        string refused = string.Empty;
        using var pinned = Channel(server, CaTrust.Handler(ca, refused: why => refused = why));
        JoinResponse response;
        try
        {
            response = await Call(server, trusted: true, () => new NodeService.NodeServiceClient(pinned).JoinAsync(
                new JoinRequest { Token = token.Trim(), Node = node, CertificateRequest = ByteString.CopyFrom(request.CreateSigningRequest()) }, deadline: Deadline(), cancellationToken: ct).ResponseAsync);
        }
        catch (JoinException) when (refused.Length > 0)
        {
            throw new JoinException($"refused the server at {server}: {refused}");
        }

        using var issued = X509Certificate2.CreateFromPem(response.CertificatePem);
        using var withKey = issued.CopyWithPrivateKey(key);
        if (!CaTrust.ChainsTo(withKey, ca, CaTrust.ClientAuth, out var why))
        {
            throw new JoinException($"the server at {server} answered with a node certificate that is not from its CA ({why}); nothing was saved");
        }

        AgentIdentity.Save(stateDir, caPem, withKey);
        return AgentIdentity.Load(stateDir);
    }

    private static DateTime Deadline() => DateTime.UtcNow.AddSeconds(15);

    private static GrpcChannel Channel(string server, SocketsHttpHandler handler) =>
        GrpcChannel.ForAddress(server, new GrpcChannelOptions { HttpHandler = handler, DisposeHttpClient = true });

    /// <summary>Runs a call; a follower's hint at the leader counts only on a channel that checked the server (<paramref name="trusted"/>).</summary>
    private static async Task<T> Call<T>(string server, bool trusted, Func<Task<T>> call)
    {
        try
        {
            return await call();
        }
        catch (RpcException ex)
        {
            if (trusted && ex.StatusCode == StatusCode.FailedPrecondition && ex.Trailers.GetValue(LeaderHint.AgentUrlTrailer) is { } leader)
            {
                throw new JoinException($"the controller at {server} is a follower replica: {ex.Status.Detail}", transient: true, leader);
            }

            throw new JoinException(ex.StatusCode == StatusCode.Unavailable || ex.StatusCode == StatusCode.DeadlineExceeded
                ? $"cannot reach the controller's node endpoint at {server} ({ex.Status.Detail}); check --server (https://HOST:7781) and that the controller runs"
                : $"the controller at {server} refused to join this node: {ex.Status.Detail}", ex.StatusCode == StatusCode.Unavailable);
        }
    }
}
