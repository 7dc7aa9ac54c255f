using System.Net;
using System.Text.Json;
using GitOrch.Controller.Tests.Support;
using static GitOrch.Controller.Tests.Support.Controllers;

namespace GitOrch.Controller.Tests.Api;

/// <summary>POST /api/v1/sync runs one cycle now and answers with the controller's status.</summary>
public sealed class SyncEndpointTests : IAsyncLifetime
{
    private readonly GitRepo _repo = GitRepo.Init();
    private readonly TempDir _state = new("gitorch-state");
    private HttpClient _client = null!;
    private ControllerHost? _host;

    public async Task InitializeAsync()
    {
        _repo.Write("apps/worker.yaml", Manifests.Pod("worker"));
        _repo.Commit("Worker");
        _host = await ControllerHost.StartAsync(Options(_repo.Root, _state.Path), logging: null, TimeProvider.System, CancellationToken.None);
        _client = _host.AdminCredentials.CreateHttpClient();
    }

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

    private async Task<(HttpStatusCode Status, JsonElement Json)> SyncAsync()
    {
        using var response = await _client.PostAsync(new Uri("/api/v1/sync", UriKind.Relative), content: null);
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return (response.StatusCode, document.RootElement.Clone());
    }

    [Fact]
    public async Task Sync_AppliesTheNewHead_AndAnswersWithTheStatus()
    {
        _repo.Write("apps/worker.yaml", Manifests.Pod("worker", greeting: "now"));
        var head = _repo.Commit("Now");

        var (status, json) = await SyncAsync();

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(head, json.GetProperty("lastApplied").GetString());
        Assert.Equal(head, json.GetProperty("head").GetString());
    }

    [Fact]
    public async Task Sync_WhenTheBranchIsGone_Is502WithTheReason()
    {
        _repo.Git("checkout", "--quiet", "-b", "side");
        _repo.Git("branch", "-D", "main");

        var (status, json) = await SyncAsync();

        Assert.Equal(HttpStatusCode.BadGateway, status);
        Assert.Equal($"branch main no longer exists in {_repo.Root}; the cluster stays on the last applied commit until it comes back", json.GetProperty("error").GetString());
    }
}
