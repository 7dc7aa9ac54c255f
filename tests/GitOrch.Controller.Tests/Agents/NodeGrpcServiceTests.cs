using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using GitOrch.Contracts.Agent;
using GitOrch.Contracts.Trust;
using GitOrch.Controller.Tests.Trust;
using GitOrch.Controller.Trust;
using Google.Protobuf;
using Grpc.Core;

namespace GitOrch.Controller.Tests.Agents;

/// <summary>The node protocol on real Kestrel over mutual TLS: joining, and NodeRestriction on every call.</summary>
public sealed class NodeGrpcServiceTests(TrustFixture fixture) : IClassFixture<TrustFixture>
{
    private const string Pod = "Pod/demo/assigned-to-a";

    [Fact]
    public async Task ANode_ReportingAnotherNodesPod_IsRefused_AndTheReportIsNotKept()
    {
        Assign("node-a", Pod);
        using var b = fixture.Host.Pki.IssueNodeCertificate("node-b");
        var client = fixture.NodeClient(b, out var channel);
        using (channel)
        {
            var ack = await client.HeartbeatAsync(Heartbeat("node-b", Pod));
            Assert.Equal([Pod], ack.RefusedPods);
            Assert.Contains("not assigned to node node-b", ack.Message, StringComparison.Ordinal);
        }

        Assert.Null(fixture.Host.Controller.Agents.Report("node-b", Pod));
        Assert.Null(fixture.Host.Controller.Agents.Report("node-a", Pod));
        Assert.Contains($"Refused node node-b's report of pod {Pod}: it is assigned to node node-a", fixture.Log.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ANode_ReportingItsOwnPod_IsHeard()
    {
        Assign("node-a", "Pod/demo/own");
        using var a = fixture.Host.Pki.IssueNodeCertificate("node-a");
        var client = fixture.NodeClient(a, out var channel);
        using (channel)
        {
            var ack = await client.HeartbeatAsync(Heartbeat("node-a", "Pod/demo/own"));
            Assert.Empty(ack.RefusedPods);
        }

        Assert.Equal("Running", fixture.Host.Controller.Agents.Report("node-a", "Pod/demo/own")?.Phase);
    }

    [Theory]
    [InlineData("heartbeat")]
    [InlineData("watch")]
    public async Task ANodeCertificate_CannotActAsAnotherNode(string call)
    {
        using var b = fixture.Host.Pki.IssueNodeCertificate("node-b");
        var client = fixture.NodeClient(b, out var channel);
        using (channel)
        {
            var refused = await Assert.ThrowsAsync<RpcException>(async () =>
            {
                if (call == "heartbeat")
                {
                    await client.HeartbeatAsync(Heartbeat("node-a"));
                }
                else
                {
                    using var watch = client.WatchAssignments(new WatchRequest { Node = "node-a", Since = -1 });
                    await watch.ResponseStream.MoveNext();
                }
            });
            Assert.Equal(StatusCode.PermissionDenied, refused.StatusCode);
            Assert.Contains("this certificate belongs to node node-b", refused.Status.Detail, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task WithoutANodeCertificate_EveryNodeCall_IsUnauthenticated()
    {
        var client = fixture.NodeClient(certificate: null, out var channel);
        using (channel)
        {
            var refused = await Assert.ThrowsAsync<RpcException>(() => client.HeartbeatAsync(Heartbeat("node-a")).ResponseAsync);
            Assert.Equal(StatusCode.Unauthenticated, refused.StatusCode);
            Assert.Contains("needs a credential", refused.Status.Detail, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task ANodeCertificateFromAnotherCa_IsUnauthenticated()
    {
        using var impostor = TrustFixture.ForeignNodeCertificate("node-a");
        var client = fixture.NodeClient(impostor, out var channel);
        using (channel)
        {
            var refused = await Assert.ThrowsAsync<RpcException>(() => client.HeartbeatAsync(Heartbeat("node-a")).ResponseAsync);
            Assert.Equal(StatusCode.Unauthenticated, refused.StatusCode);
        }
    }

    [Fact]
    public async Task TheWatch_StreamsTheNodesAssignments()
    {
        Assign("node-a", "Pod/demo/watched");
        using var a = fixture.Host.Pki.IssueNodeCertificate("node-a");
        var client = fixture.NodeClient(a, out var channel);
        using (channel)
        {
            using var watch = client.WatchAssignments(new WatchRequest { Node = "node-a", Since = -1 });
            Assert.True(await watch.ResponseStream.MoveNext());
            Assert.Contains("Pod/demo/watched", watch.ResponseStream.Current.Pods.Select(p => p.Pod));
        }
    }

    [Fact]
    public async Task Join_WithAValidToken_IssuesACertificateNamingTheNode_WhateverTheRequestSays()
    {
        var token = new JoinToken(fixture.Host.Pki.CaHash, fixture.Host.Tokens.Create("join-ok", TokenStore.JoinKind, TokenStore.JoinRole, TimeSpan.FromHours(1), "test"));
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=admin, O=gitorch-nodes", key, HashAlgorithmName.SHA256);
        var client = fixture.NodeClient(certificate: null, out var channel);
        using (channel)
        {
            var answer = await client.JoinAsync(new JoinRequest { Token = token.ToString(), Node = "node-c", CertificateRequest = ByteString.CopyFrom(request.CreateSigningRequest()) });
            using var certificate = X509Certificate2.CreateFromPem(answer.CertificatePem);
            Assert.Equal("node-c", certificate.GetNameInfo(X509NameType.SimpleName, forIssuer: false));
            Assert.Contains("O=gitorch-nodes", certificate.Subject, StringComparison.Ordinal);
            Assert.DoesNotContain("admin", certificate.Subject, StringComparison.Ordinal);
            Assert.True(CaTrust.ChainsTo(certificate, fixture.Host.Pki.Ca, CaTrust.ClientAuth, out var why), why);
            Assert.False(CaTrust.ChainsTo(certificate, fixture.Host.Pki.Ca, CaTrust.ServerAuth, out _), "a node certificate must not pass as the server's");
        }

        Assert.Contains("Node node-c joined with join token join-ok", fixture.Log.Text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("wrong-ca", "is for another cluster")]
    [InlineData("revoked", "was revoked")]
    [InlineData("unknown", "not known to this cluster")]
    [InlineData("api-token", "not known to this cluster")]
    [InlineData("malformed", "malformed")]
    public async Task Join_WithABadToken_IsRefused_SayingWhy(string kind, string expected)
    {
        var pki = fixture.Host.Pki;
        var tokens = fixture.Host.Tokens;
        var token = kind switch
        {
            "wrong-ca" => new JoinToken(new string('0', 64), tokens.Create("join-wrong-ca", TokenStore.JoinKind, TokenStore.JoinRole, TimeSpan.FromHours(1), "test")).ToString(),
            "revoked" => Revoked(),
            "unknown" => new JoinToken(pki.CaHash, TokenStore.NewSecret()).ToString(),
            "api-token" => new JoinToken(pki.CaHash, tokens.Create("an-api-token", TokenStore.ApiKind, Identities.AdminRole, null, "test")).ToString(),
            _ => "gitorch1.not-a-token",
        };
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var client = fixture.NodeClient(certificate: null, out var channel);
        using (channel)
        {
            var refused = await Assert.ThrowsAsync<RpcException>(() => client.JoinAsync(new JoinRequest
            {
                Token = token,
                Node = "node-x",
                CertificateRequest = ByteString.CopyFrom(new CertificateRequest("CN=node-x", key, HashAlgorithmName.SHA256).CreateSigningRequest()),
            }).ResponseAsync);
            Assert.Contains(expected, refused.Status.Detail, StringComparison.Ordinal);
        }

        Assert.Contains("Refused node call for node-x", fixture.Log.Text, StringComparison.Ordinal);

        string Revoked()
        {
            var secret = tokens.Create("join-revoked", TokenStore.JoinKind, TokenStore.JoinRole, TimeSpan.FromHours(1), "test");
            tokens.Revoke("join-revoked");
            return new JoinToken(pki.CaHash, secret).ToString();
        }
    }

    [Fact]
    public async Task ARevokedNode_IsRefusedFromItsNextCall_OlderCertificatesToo_AndJoinsAgainWithANewToken()
    {
        using var first = await JoinAsync("node-r", "join-r1");
        await HeartbeatAsync(first, "node-r"); // Accepted before the revocation.
        using var older = fixture.Host.Pki.IssueNodeCertificate("node-r"); // A certificate nobody recorded (stolen, or from before).

        using (var admin = fixture.Host.AdminCredentials.CreateHttpClient())
        using (var response = await admin.PostAsync(new Uri("/api/v1/nodes/node-r/revoke", UriKind.Relative), content: null))
        {
            Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        }

        foreach (var revoked in new[] { first, older })
        {
            var refused = await Assert.ThrowsAsync<RpcException>(() => HeartbeatAsync(revoked, "node-r"));
            Assert.Equal(StatusCode.Unauthenticated, refused.StatusCode);
            Assert.Contains("the certificates of node node-r were revoked at", refused.Status.Detail, StringComparison.Ordinal);
            Assert.Contains("join the node again with a new join token", refused.Status.Detail, StringComparison.Ordinal);
        }

        await HeartbeatAsync(fixture.Host.Pki.IssueNodeCertificate("node-s"), "node-s"); // Other nodes are not touched.
        using var again = await JoinAsync("node-r", "join-r2");
        await HeartbeatAsync(again, "node-r");
    }

    [Fact]
    public async Task RevokingANodeThatNeverJoined_IsRefused_NamingTheKnownNodes_AndRecordsNothing()
    {
        using var admin = fixture.Host.AdminCredentials.CreateHttpClient();
        using var response = await admin.PostAsync(new Uri("/api/v1/nodes/nodee-a/revoke", UriKind.Relative), content: null);

        Assert.Equal(System.Net.HttpStatusCode.NotFound, response.StatusCode);
        Assert.Contains("no node nodee-a has joined this cluster", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        await HeartbeatAsync(fixture.Host.Pki.IssueNodeCertificate("nodee-a"), "nodee-a"); // Nothing was revoked under that name.
    }

    private async Task<X509Certificate2> JoinAsync(string node, string tokenName)
    {
        var token = new JoinToken(fixture.Host.Pki.CaHash, fixture.Host.Tokens.Create(tokenName, TokenStore.JoinKind, TokenStore.JoinRole, TimeSpan.FromHours(1), "test"));
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={node}, O=gitorch-nodes", key, HashAlgorithmName.SHA256);
        var client = fixture.NodeClient(certificate: null, out var channel);
        using (channel)
        {
            var answer = await client.JoinAsync(new JoinRequest { Token = token.ToString(), Node = node, CertificateRequest = ByteString.CopyFrom(request.CreateSigningRequest()) });
            using var issued = X509Certificate2.CreateFromPem(answer.CertificatePem);
            return issued.CopyWithPrivateKey(key);
        }
    }

    private async Task HeartbeatAsync(X509Certificate2 certificate, string node)
    {
        var client = fixture.NodeClient(certificate, out var channel);
        using (channel)
        {
            await client.HeartbeatAsync(Heartbeat(node));
        }
    }

    private void Assign(string node, string pod)
    {
        using var spec = JsonDocument.Parse("{}");
        fixture.Host.Controller.Agents.Assign(node, new Core.AgentApi.PodAssignment(pod, "g1", spec.RootElement.Clone(), null, new Dictionary<string, int>(), 10));
    }

    private static NodeHeartbeat Heartbeat(string node, params string[] pods)
    {
        var heartbeat = new NodeHeartbeat { Node = node, CpuMillis = 4000, MemoryBytes = 4L << 30 };
        heartbeat.Pods.Add(pods.Select(p => new PodReport { Pod = p, Generation = "g1", Phase = "Running" }));
        return heartbeat;
    }
}
