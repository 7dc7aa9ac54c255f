using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using GitOrch.Controller.Trust;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace GitOrch.Controller.Tests.Trust;

/// <summary>Who may call the HTTPS API: a credential for everything, the right role for each verb, and clear refusals.</summary>
public sealed class ApiAuthorizationTests(TrustFixture fixture) : IClassFixture<TrustFixture>
{
    /// <summary>Endpoints open without a bearer token or certificate, each for its own reason.</summary>
    private static readonly string[] OpenByDesign =
    [
        "POST /api/v1/webhooks/git", // HMAC signature
        "POST /gitorch.agent.v1.NodeService/GetClusterCa", // the public CA certificate, checked by the agent against its join token
        "POST /gitorch.agent.v1.NodeService/Join", // the join token
        "GET /ui/login", // a single-use login code, minted with a credential
        "GET /ui/static/{file}", // the web view's stylesheet and script, which carry no data
    ];

    [Fact]
    public async Task EveryEndpoint_WithoutACredential_Is401_WithAMessageSayingWhatToDo()
    {
        using var client = fixture.Client(token: null);
        var endpoints = Endpoints(fixture.Host.Services);
        Assert.True(endpoints.Count >= 20, $"the route table lists only {endpoints.Count} endpoints");
        Assert.Equal(OpenByDesign.Order(), endpoints.Where(e => e.Anonymous).Select(e => $"{e.Method} {e.Pattern}").Order());
        foreach (var endpoint in endpoints.Where(e => !e.Anonymous))
        {
            using var response = await client.SendAsync(new HttpRequestMessage(new HttpMethod(endpoint.Method), endpoint.Url) { Content = endpoint.Method == "GET" ? null : new StringContent("{}", Encoding.UTF8, "application/json") });
            Assert.True(response.StatusCode == HttpStatusCode.Unauthorized, $"{endpoint.Method} {endpoint.Url} answered {(int)response.StatusCode} without a credential");
            var body = await response.Content.ReadAsStringAsync();
            if (endpoint.Pattern.StartsWith("/ui/", StringComparison.Ordinal))
            {
                Assert.Contains("gitorch ui", body, StringComparison.Ordinal); // The web view's pages answer a browser in HTML.
            }
            else
            {
                Assert.Contains("needs a credential", Error(body), StringComparison.Ordinal);
            }
        }
    }

    [Fact]
    public async Task TheWebhook_WithoutItsSignature_Is401()
    {
        using var client = fixture.Client(token: null);
        using var response = await client.PostAsync(new Uri("api/v1/webhooks/git", UriKind.Relative), new StringContent("{}"));
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task AViewer_Reads_AndIsRefusedOnWrites_NamingTheRoleNeeded()
    {
        using var client = fixture.Client(fixture.Token(Identities.ViewerRole, "viewer-reads"));
        using (var status = await client.GetAsync(new Uri("api/v1/status", UriKind.Relative)))
        {
            Assert.Equal(HttpStatusCode.OK, status.StatusCode);
        }

        using var dead = await client.PostAsync(new Uri("api/v1/nodes/node-a/dead", UriKind.Relative), content: null);
        Assert.Equal(HttpStatusCode.Forbidden, dead.StatusCode);
        var error = Error(await dead.Content.ReadAsStringAsync());
        Assert.Contains("needs the role admin", error, StringComparison.Ordinal);
        Assert.Contains("token/viewer-reads has the role viewer", error, StringComparison.Ordinal);
        Assert.Contains("node-a", fixture.Host.Controller.Nodes.All.Select(n => n.Name)); // Not declared dead.
        Assert.Null(fixture.Host.Controller.Nodes.Condition("node-a"));
    }

    [Fact]
    public async Task AViewer_CannotMakeTokens()
    {
        using var client = fixture.Client(fixture.Token(Identities.ViewerRole, "viewer-tokens"));
        using var list = await client.GetAsync(new Uri("api/v1/tokens", UriKind.Relative));
        Assert.Equal(HttpStatusCode.Forbidden, list.StatusCode);
        using var create = await client.PostAsync(new Uri("api/v1/tokens", UriKind.Relative), new StringContent("""{"role":"admin","name":"escalate"}""", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.Forbidden, create.StatusCode);
        Assert.DoesNotContain(fixture.Host.Tokens.List(), t => t.Name == "escalate");
    }

    [Fact]
    public async Task AnExpiredToken_IsRefused_SayingItExpired()
    {
        var own = new TrustFixture(); // Its own clock: moving it must not age the certificates other tests issue.
        await own.InitializeAsync();
        try
        {
            await ExpiredTokenIsRefused(own);
        }
        finally
        {
            await own.DisposeAsync();
        }
    }

    private static async Task ExpiredTokenIsRefused(TrustFixture fixture)
    {
        using var client = fixture.Client(fixture.Token(Identities.AdminRole, "short-lived", TimeSpan.FromHours(1)));
        using (var before = await client.GetAsync(new Uri("api/v1/status", UriKind.Relative)))
        {
            Assert.Equal(HttpStatusCode.OK, before.StatusCode);
        }

        fixture.Time.Advance(TimeSpan.FromHours(2));
        using var after = await client.GetAsync(new Uri("api/v1/status", UriKind.Relative));
        Assert.Equal(HttpStatusCode.Unauthorized, after.StatusCode);
        var error = Error(await after.Content.ReadAsStringAsync());
        Assert.Contains("the token short-lived expired at", error, StringComparison.Ordinal);
        Assert.Contains("gitorch token create", error, StringComparison.Ordinal);
        Assert.Contains("short-lived expired", fixture.Log.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ARevokedToken_IsRefused_SayingItWasRevoked()
    {
        using var client = fixture.Client(fixture.Token(Identities.AdminRole, "to-revoke"));
        using var admin = fixture.Host.AdminCredentials.CreateHttpClient();
        using (var revoke = await admin.PostAsync(new Uri("api/v1/tokens/to-revoke/revoke", UriKind.Relative), content: null))
        {
            Assert.Equal(HttpStatusCode.OK, revoke.StatusCode);
        }

        using var after = await client.GetAsync(new Uri("api/v1/status", UriKind.Relative));
        Assert.Equal(HttpStatusCode.Unauthorized, after.StatusCode);
        Assert.Contains("the token to-revoke was revoked", Error(await after.Content.ReadAsStringAsync()), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AMadeUpToken_IsRefused()
    {
        using var client = fixture.Client("gitorch-guessed-token");
        using var response = await client.GetAsync(new Uri("api/v1/status", UriKind.Relative));
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Contains("not known to this cluster", Error(await response.Content.ReadAsStringAsync()), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ANodeCertificate_CannotReadOrWriteTheApi()
    {
        using var certificate = fixture.Host.Pki.IssueNodeCertificate("node-a");
        using var client = new HttpClient(GitOrch.Contracts.Trust.CaTrust.Handler(fixture.Host.Pki.Ca, certificate)) { BaseAddress = new Uri(fixture.Host.Address) };
        using var status = await client.GetAsync(new Uri("api/v1/status", UriKind.Relative));
        Assert.True(HttpStatusCode.Forbidden == status.StatusCode, await status.Content.ReadAsStringAsync() + fixture.Log.Text);
        Assert.Contains("needs the role admin or viewer; node:node-a has the role node", Error(await status.Content.ReadAsStringAsync()), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ACertificateFromAnotherCa_IsNoCredential()
    {
        using var certificate = TrustFixture.ForeignNodeCertificate("node-a");
        using var client = new HttpClient(GitOrch.Contracts.Trust.CaTrust.Handler(fixture.Host.Pki.Ca, certificate)) { BaseAddress = new Uri(fixture.Host.Address) };
        using var status = await client.GetAsync(new Uri("api/v1/status", UriKind.Relative));
        Assert.Equal(HttpStatusCode.Unauthorized, status.StatusCode);
    }

    [Fact]
    public async Task PlainHttp_OnTheHttpsPort_IsAnsweredWithARefusal_NotASilentReset()
    {
        var port = new Uri(fixture.Host.Address).Port;
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, port);
        var stream = tcp.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes("GET /api/v1/status HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"));
        using var reader = new StreamReader(stream, Encoding.UTF8);
        var answer = await reader.ReadToEndAsync();
        Assert.StartsWith("HTTP/1.1 400 Bad Request", answer, StringComparison.Ordinal);
        Assert.Contains($"this port speaks HTTPS only; use https://127.0.0.1:", answer, StringComparison.Ordinal);
        Assert.Contains("Refused a plain-HTTP connection", fixture.Log.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task EveryAuthenticatedWrite_IsLogged_WithWhoMadeIt()
    {
        using var client = fixture.Client(fixture.Token(Identities.AdminRole, "auditor"));
        using var sync = await client.PostAsync(new Uri("api/v1/sync", UriKind.Relative), content: null);
        Assert.Contains("Write by token/auditor: POST /api/v1/sync", fixture.Log.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TokenCreate_ReturnsACredentialsFile_ThatWorks()
    {
        using var admin = fixture.Host.AdminCredentials.CreateHttpClient();
        using var create = await admin.PostAsync(new Uri("api/v1/tokens", UriKind.Relative), new StringContent("""{"role":"viewer","name":"made-by-api","ttlSeconds":3600}""", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.OK, create.StatusCode);
        var credentials = GitOrch.Contracts.Trust.ClusterCredentials.Parse(await create.Content.ReadAsStringAsync(), out var error);
        Assert.True(credentials is not null, error);
        using var viewer = credentials.CreateHttpClient();
        using var status = await viewer.GetAsync(new Uri("api/v1/status", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, status.StatusCode);
    }

    private static string Error(string body)
    {
        using var document = JsonDocument.Parse(body);
        return document.RootElement.GetProperty("error").GetString()!;
    }

    internal sealed record EndpointCase(string Method, string Pattern, string Url, bool Anonymous);

    /// <summary>Every route of the host, with its parameters filled in.</summary>
    internal static List<EndpointCase> Endpoints(IServiceProvider services)
    {
        var cases = new List<EndpointCase>();
        foreach (var endpoint in services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>())
        {
            var methods = endpoint.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? ["GET"];
            var pattern = "/" + endpoint.RoutePattern.RawText!.TrimStart('/');
            var url = pattern;
            foreach (var parameter in endpoint.RoutePattern.Parameters)
            {
                var value = parameter.Name switch { "kind" => "Pod", "version" => "1", "node" => "node-a", _ => "x" };
                url = System.Text.RegularExpressions.Regex.Replace(url, "\\{" + parameter.Name + "[^}]*\\}", value);
            }

            var anonymous = endpoint.Metadata.GetMetadata<IAllowAnonymous>() is not null;
            cases.AddRange(methods.Where(m => m != "OPTIONS").Select(m => new EndpointCase(m, pattern, url.TrimStart('/') + (url.Contains('?', StringComparison.Ordinal) ? string.Empty : "?namespace=demo&from=1&to=2&field=spec"), anonymous)));
        }

        return cases;
    }
}
