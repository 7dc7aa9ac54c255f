using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using GitOrch.Contracts.Agent;
using GitOrch.Contracts.Trust;
using GitOrch.Controller.Tests.Support;
using GitOrch.Controller.Trust;
using Grpc.Net.Client;
using Microsoft.Extensions.Logging;
using static GitOrch.Controller.Tests.Support.Controllers;

namespace GitOrch.Controller.Tests.Trust;

/// <summary>
/// A controller on real Kestrel (HTTPS API and the node endpoint, free ports) on a clock the tests
/// move, with a webhook secret, nodes node-a and node-b, and a log the tests read.
/// </summary>
public sealed class TrustFixture : IAsyncLifetime
{
    private readonly GitRepo _repo = GitRepo.Init();
    private readonly TempDir _state = new("gitorch-trust");
    private ControllerHost? _host;

    internal ManualTime Time { get; } = new(DateTimeOffset.UtcNow);

    internal ListLogger Log { get; } = new();

    public ControllerHost Host => _host!;

    public string StateDir => _state.Path;

    public async Task InitializeAsync()
    {
        _repo.Write("apps/worker.yaml", Manifests.Pod("worker"));
        _repo.Commit("Worker");
        var options = Options(_repo.Root, _state.Path, Node("node-a", cpuMillis: 4000), Node("node-b", cpuMillis: 4000)) with
        {
            AgentListen = "https://127.0.0.1:0",
            WebhookSecret = "s3cret",
        };
        _host = await ControllerHost.StartAsync(options, b => b.AddProvider(Log), Time, CancellationToken.None);
    }

    /// <summary>An HTTPS client that trusts the cluster CA and sends <paramref name="token"/> (none: no credential at all).</summary>
    public HttpClient Client(string? token) => (Host.AdminCredentials with { Token = token ?? "unused" }).CreateHttpClient() is var client && token is null
        ? Anonymous(client)
        : client;

    /// <summary>A token of <paramref name="role"/>, made in the store (as `gitorch token create` does).</summary>
    public string Token(string role, string name, TimeSpan? ttl = null) => Host.Tokens.Create(name, TokenStore.ApiKind, role, ttl, "test");

    /// <summary>A gRPC client on the node endpoint that presents <paramref name="certificate"/>.</summary>
    public NodeService.NodeServiceClient NodeClient(X509Certificate2? certificate, out GrpcChannel channel)
    {
        var handler = CaTrust.Handler(Host.Pki.Ca, certificate);
        channel = GrpcChannel.ForAddress(Host.AgentAddress!, new GrpcChannelOptions { HttpHandler = handler, DisposeHttpClient = true });
        return new NodeService.NodeServiceClient(channel);
    }

    /// <summary>A node certificate from another CA (self-signed, same subject shape).</summary>
    public static X509Certificate2 ForeignNodeCertificate(string node)
    {
        using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var caRequest = new CertificateRequest("CN=impostor CA", caKey, HashAlgorithmName.SHA256);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        using var ca = caRequest.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(ClusterPki.NodeSubject(node), key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(CaTrust.ClientAuth)], false));
        using var leaf = request.Create(ca, DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddHours(12), [1, 2, 3, 4]);
        using var withKey = leaf.CopyWithPrivateKey(key);
        return X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pkcs12), null);
    }

    private static HttpClient Anonymous(HttpClient client)
    {
        client.DefaultRequestHeaders.Authorization = null;
        return client;
    }

    public async Task DisposeAsync()
    {
        if (_host is not null)
        {
            await _host.DisposeAsync();
        }

        _repo.Dispose();
        _state.Dispose();
    }
}
