using System.Text.Json;
using GitOrch.Core.Diagnostics;
using GitOrch.Controller.Tests.Support;
using static GitOrch.Controller.Tests.Support.Controllers;

namespace GitOrch.Controller.Tests.Api;

/// <summary>
/// history.keepVersions bounds the store (and, replicated, etcd); the Git mirror keeps every
/// version, and the API's history reads the pruned ones back from it.
/// </summary>
public sealed class MirrorHistoryTests : IAsyncLifetime
{
    private readonly GitRepo _repo = GitRepo.Init();
    private readonly TempDir _state = new("gitorch-state");
    private ControllerHost? _host;
    private HttpClient? _client;

    public async Task InitializeAsync()
    {
        _repo.Write("cluster/policy.yaml", Manifests.Policy(keepVersions: 2)).Write("apps/worker.yaml", Manifests.Pod("worker", greeting: "g1"));
        _repo.Commit("Add worker", "alice@example.com", "Alice");
        _host = await ControllerHost.StartAsync(Options(_repo.Root, _state.Path), logging: null, TimeProvider.System, CancellationToken.None);
        _client = _host.AdminCredentials.CreateHttpClient();
        await SyncAsync();
        for (var i = 2; i <= 5; i++)
        {
            _repo.Write("apps/worker.yaml", Manifests.Pod("worker", greeting: $"g{i}"));
            _repo.Commit($"Greeting {i}", "bob@example.com", "Bob");
            await SyncAsync();
        }
    }

    private async Task SyncAsync()
    {
        using var response = await _client!.PostAsync(new Uri("/api/v1/sync", UriKind.Relative), content: null);
        response.EnsureSuccessStatusCode();
    }

    [Fact]
    public async Task History_ReadsVersionsThatTheStorePruned_BackFromTheMirror()
    {
        var store = _host!.Controller.Store.History(new ObjectRef("Pod", "demo", "worker"));
        Assert.Equal([4, 5], store.Select(v => v.Version)); // keepVersions: 2

        using var response = await _client!.GetAsync(new Uri("/api/v1/objects/Pod/worker/history?namespace=demo", UriKind.Relative));
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var versions = json.RootElement.EnumerateArray().ToList();

        Assert.Equal([1, 2, 3, 4, 5], versions.Select(v => v.GetProperty("version").GetInt32()));
        Assert.All(versions.Take(3), v => Assert.Matches("^[0-9a-f]{40}$", v.GetProperty("mirror").GetString()));
        Assert.All(versions.Skip(3), v => Assert.Equal(JsonValueKind.Null, v.GetProperty("mirror").ValueKind));
        Assert.All(versions, v => Assert.Equal("git/" + (v.GetProperty("version").GetInt32() == 1 ? "alice" : "bob") + "@example.com", v.GetProperty("changer").GetString()));
        Assert.All(versions, v => Assert.Equal("external", v.GetProperty("kind").GetString()));
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
}
