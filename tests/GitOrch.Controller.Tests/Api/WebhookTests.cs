using System.Net;
using System.Text;
using System.Text.Json;
using GitOrch.Controller.Api;
using GitOrch.Controller.Tests.Support;
using static GitOrch.Controller.Tests.Support.Controllers;

namespace GitOrch.Controller.Tests.Api;

/// <summary>The push webhook on real Kestrel: a signed push wakes the main loop at once.</summary>
public sealed class WebhookTests : IAsyncLifetime
{
    private const string Secret = "s3cret-shared-with-the-forge";
    private const string Body = """{"ref":"refs/heads/main"}""";

    private readonly GitRepo _repo = GitRepo.Init();
    private readonly TempDir _state = new("gitorch-state");
    private HttpClient _client = null!;
    private ControllerHost? _host;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        _client?.Dispose();
        if (_host is not null)
        {
            await _host.DisposeAsync();
        }

        _repo.Dispose();
        _state.Dispose();
    }

    private async Task<string> StartAsync(string? secret)
    {
        _repo.Write("apps/worker.yaml", Manifests.Pod("worker"));
        var first = _repo.Commit("Worker");
        _host = await ControllerHost.StartAsync(Options(_repo.Root, _state.Path) with { WebhookSecret = secret }, logging: null, TimeProvider.System, CancellationToken.None);
        _client = _host.AdminCredentials.CreateHttpClient();
        return first;
    }

    private async Task<HttpResponseMessage> PostAsync(string body, string? signature)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri("/api/v1/webhooks/git", UriKind.Relative))
        {
            Content = new StringContent(body, Encoding.UTF8, "application/json"),
        };
        if (signature is not null)
        {
            request.Headers.Add(WebhookSignature.Header, signature);
        }

        return await _client.SendAsync(request);
    }

    /// <summary>Polls the status endpoint (at most about 60 s, for a loaded machine) until the controller has applied <paramref name="commit"/>.</summary>
    private async Task<string?> WaitForAppliedAsync(string commit)
    {
        string? applied = null;
        for (var i = 0; i < 600 && applied != commit; i++)
        {
            using var document = JsonDocument.Parse(await _client.GetStringAsync(new Uri("/api/v1/status", UriKind.Relative)));
            applied = document.RootElement.GetProperty("controller").GetProperty("lastApplied").GetString();
            if (applied != commit)
            {
                await Task.Delay(100);
            }
        }

        return applied;
    }

    private static async Task<string> ErrorOf(HttpResponseMessage response)
    {
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return document.RootElement.GetProperty("error").GetString()!;
    }

    [Fact]
    public async Task SignedPush_IsAccepted_AndTriggersASyncThatAppliesTheNewCommit()
    {
        var first = await StartAsync(Secret);
        Assert.Equal(first, await WaitForAppliedAsync(first)); // the loop's first cycle; it then sleeps for the hour-long poll

        _repo.Write("apps/worker.yaml", Manifests.Pod("worker", greeting: "pushed"));
        var pushed = _repo.Commit("Pushed", "alice@example.com");
        using var response = await PostAsync(Body, WebhookSignature.Sign(Secret, Encoding.UTF8.GetBytes(Body)));

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal(pushed, await WaitForAppliedAsync(pushed));
        Assert.Equal("git/alice@example.com", _host!.Controller.Store.Get(PodRef("worker"))!.LastChanger);
    }

    [Theory]
    [InlineData("sha256=0000000000000000000000000000000000000000000000000000000000000000")]
    [InlineData("wrong-secret")]
    [InlineData(null)]
    public async Task WronglySignedOrUnsignedPush_Is401(string? signature)
    {
        await StartAsync(Secret);
        var header = signature == "wrong-secret" ? WebhookSignature.Sign("not-the-secret", Encoding.UTF8.GetBytes(Body)) : signature;

        using var response = await PostAsync(Body, header);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("invalid or missing X-Hub-Signature-256: sign the body with HMAC-SHA256 and the shared secret", await ErrorOf(response));
    }

    [Fact]
    public async Task WithoutASecret_TheWebhookIs404_NamingTheFlagThatTurnsItOn()
    {
        await StartAsync(secret: null);

        using var response = await PostAsync(Body, WebhookSignature.Sign(Secret, Encoding.UTF8.GetBytes(Body)));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        var error = await ErrorOf(response);
        Assert.Contains("--webhook-secret-file", error, StringComparison.Ordinal);
        Assert.Equal("the push webhook is off; start the controller with --webhook-secret-file FILE or GITORCH_WEBHOOK_SECRET", error);
    }
}
