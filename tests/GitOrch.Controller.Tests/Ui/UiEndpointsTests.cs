using System.Net;
using System.Net.Http.Json;
using GitOrch.Contracts.Trust;
using GitOrch.Controller.Tests.Api;
using GitOrch.Controller.Trust;
using GitOrch.Controller.Ui;

namespace GitOrch.Controller.Tests.Ui;

/// <summary>The web view over real HTTP (Kestrel), without a browser: sessions, refusals, headers, CSRF.</summary>
public sealed class UiEndpointsTests(ApiFixture api) : IClassFixture<ApiFixture>
{
    /// <summary>A browser-like client: trusts the cluster CA, no credential, cookies by hand, no redirects followed.</summary>
    private HttpClient Browser()
    {
        var handler = CaTrust.Handler(CaTrust.LoadPem(api.Host.AdminCredentials.CaCertificate));
        handler.UseCookies = false;
        handler.AllowAutoRedirect = false;
        return new HttpClient(handler) { BaseAddress = api.Client.BaseAddress };
    }

    private HttpClient ViewerApi()
    {
        var token = api.Host.Tokens.Create("ui-viewer-" + Guid.NewGuid().ToString("N")[..8], TokenStore.ApiKind, Identities.ViewerRole, TimeSpan.FromHours(1), "test");
        return (api.Host.AdminCredentials with { Token = token }).CreateHttpClient();
    }

    private async Task<HttpClient> LoggedInAsync(HttpClient? as_ = null)
    {
        var minted = await (as_ ?? api.Client).PostAsync(new Uri(UiEndpoints.MintPath, UriKind.Relative), null);
        Assert.Equal(HttpStatusCode.OK, minted.StatusCode);
        var login = await minted.Content.ReadFromJsonAsync<UiLoginModel>();
        var client = Browser();
        using var response = await client.GetAsync(new Uri(login!.Path, UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var cookie = response.Headers.GetValues("Set-Cookie").Single();
        Assert.Contains("httponly", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=strict", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("secure", cookie, StringComparison.OrdinalIgnoreCase);
        client.DefaultRequestHeaders.Add("Cookie", cookie.Split(';')[0]);
        return client;
    }

    [Theory]
    [InlineData("/ui/")]
    [InlineData("/ui/objects")]
    [InlineData("/ui/objects/Pod/demo/worker")]
    [InlineData("/ui/why/Pod/demo/worker")]
    [InlineData("/ui/events")]
    public async Task Pages_RefuseARequestWithoutASession_EvenWithAnApiToken(string path)
    {
        using var browser = Browser();
        using var response = await browser.GetAsync(new Uri(path, UriKind.Relative));
        using var withToken = await api.Client.GetAsync(new Uri(path, UriKind.Relative));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, withToken.StatusCode);
        var page = await response.Content.ReadAsStringAsync();
        Assert.DoesNotContain("worker", page, StringComparison.Ordinal);
        Assert.Contains("gitorch ui", page, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Mint_NeedsACredential()
    {
        using var browser = Browser();
        using var response = await browser.PostAsync(new Uri(UiEndpoints.MintPath, UriKind.Relative), null);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task Mint_WithAViewerToken_OpensAViewerSession_ThatSeesEnvValuesMasked()
    {
        using var viewer = ViewerApi();
        using var client = await LoggedInAsync(viewer);

        var page = await client.GetStringAsync(new Uri("/ui/objects/Pod/demo/worker", UriKind.Relative));

        Assert.Contains("(viewer)", page, StringComparison.Ordinal);
        Assert.Contains("GREETING: (hidden)", page, StringComparison.Ordinal);
        Assert.DoesNotContain("bonjour", page, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Mint_WithAnAdminToken_ShowsEnvValuesToTheAdmin()
    {
        using var client = await LoggedInAsync();

        var page = await client.GetStringAsync(new Uri("/ui/objects/Pod/demo/worker", UriKind.Relative));

        Assert.Contains("(admin)", page, StringComparison.Ordinal);
        Assert.Contains("GREETING: bonjour", page, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Pages_AreServedWithAStrictContentSecurityPolicy()
    {
        using var client = await LoggedInAsync();
        using var response = await client.GetAsync(new Uri("/ui/objects/Pod/demo/worker", UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var policy = response.Headers.GetValues("Content-Security-Policy").Single();
        Assert.Contains("script-src 'self'", policy, StringComparison.Ordinal);
        Assert.DoesNotContain("unsafe-inline", policy, StringComparison.Ordinal);
        Assert.Equal("DENY", response.Headers.GetValues("X-Frame-Options").Single());
    }

    [Fact]
    public async Task StaticAssets_CarryNoDataAndNeedNoSession()
    {
        using var browser = Browser();
        using var css = await browser.GetAsync(new Uri("/ui/static/app.css", UriKind.Relative));
        using var other = await browser.GetAsync(new Uri("/ui/static/..%2F..%2Fstate.db", UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, css.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, other.StatusCode);
    }

    [Theory]
    [InlineData("cross-site")]
    [InlineData("same-site")]
    public async Task LogOut_RefusesARequestFromAnotherSite(string site)
    {
        using var client = await LoggedInAsync();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/ui/logout");
        request.Headers.Add("Sec-Fetch-Site", site);

        using var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        using var still = await client.GetAsync(new Uri("/ui/", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, still.StatusCode);
    }

    [Fact]
    public async Task LogOut_FromTheViewItself_EndsTheSession()
    {
        using var client = await LoggedInAsync();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/ui/logout");
        request.Headers.Add("Sec-Fetch-Site", "same-origin");

        using var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        using var after = await client.GetAsync(new Uri("/ui/", UriKind.Relative));
        Assert.Equal(HttpStatusCode.Unauthorized, after.StatusCode);
    }

    [Fact]
    public async Task NoPage_ChangesStateOnGet()
    {
        using var client = await LoggedInAsync();
        using var response = await client.GetAsync(new Uri("/ui/logout", UriKind.Relative));

        Assert.False(response.IsSuccessStatusCode);
        using var still = await client.GetAsync(new Uri("/ui/", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, still.StatusCode); // A GET (a link, an image on another site) cannot log anyone out.
    }

    [Fact]
    public async Task RejectedCommit_ShowsItsDiagnosticsWithPositions()
    {
        using var client = await LoggedInAsync();
        var page = await client.GetStringAsync(new Uri($"/ui/commits/{api.Rejected}", UriKind.Relative));

        Assert.Contains("apps/bad.yaml:", page, StringComparison.Ordinal);
        Assert.Contains("rejected", page, StringComparison.Ordinal);
    }
}
