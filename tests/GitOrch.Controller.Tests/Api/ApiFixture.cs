using GitOrch.Controller.Tests.Support;
using static GitOrch.Controller.Tests.Support.Controllers;

namespace GitOrch.Controller.Tests.Api;

/// <summary>
/// A controller on real Kestrel with a known history for Pod demo/worker: version 1 (commit
/// <see cref="First"/>), version 2 (the scheduler places it on node-a), version 3 (commit
/// <see cref="Second"/> changes GREETING to bonjour); then commit <see cref="Rejected"/> is rejected.
/// Pod demo/gone is placed by the scheduler and deleted by <see cref="Second"/>; Pod web/api just runs.
/// </summary>
public sealed class ApiFixture : IAsyncLifetime
{
    private readonly GitRepo _repo = GitRepo.Init();
    private readonly TempDir _state = new("gitorch-state");
    private ControllerHost? _host;

    public ControllerHost Host => _host!;

    public HttpClient Client { get; private set; } = null!;

    public string First { get; private set; } = string.Empty;

    public string Second { get; private set; } = string.Empty;

    public string Rejected { get; private set; } = string.Empty;

    public string RepoRoot => _repo.Root;

    public async Task InitializeAsync()
    {
        _repo.Write("apps/worker.yaml", Manifests.Pod("worker")).Write("apps/api.yaml", Manifests.Pod("api", ns: "web")).Write("apps/gone.yaml", Manifests.Pod("gone"));
        First = _repo.Commit("Add worker", "alice@example.com", "Alice");
        _host = await ControllerHost.StartAsync(Options(_repo.Root, _state.Path, Node("node-a", cpuMillis: 4000)), logging: null, TimeProvider.System, CancellationToken.None);
        Client = _host.AdminCredentials.CreateHttpClient();
        await SyncAsync();

        _repo.Write("apps/worker.yaml", Manifests.Pod("worker", greeting: "bonjour")).Delete("apps/gone.yaml");
        Second = _repo.Commit("Greet in French", "bob@example.com", "Bob");
        await SyncAsync();

        _repo.Write("apps/bad.yaml", Manifests.PodWithUnknownField("bad"));
        Rejected = _repo.Commit("Add a bad pod", "carol@example.com", "Carol");
        await SyncAsync();
    }

    private async Task SyncAsync()
    {
        using var response = await Client.PostAsync(new Uri("/api/v1/sync", UriKind.Relative), content: null);
        response.EnsureSuccessStatusCode();
    }

    public async Task DisposeAsync()
    {
        Client?.Dispose();
        if (_host is not null)
        {
            await _host.DisposeAsync();
        }

        _repo.Dispose();
        _state.Dispose();
    }
}
