using GitOrch.Controller.Tests.Support;
using Microsoft.Extensions.Logging;
using static GitOrch.Controller.Tests.Support.Controllers;

namespace GitOrch.Controller.Tests.Api;

/// <summary>
/// The controller sends one authenticated status request to its own API before it says it listens
/// and before it writes admin.credentials, so the first user's call does not pay the request path's
/// one-time costs (how much that saves is bench/'s to measure).
/// </summary>
public sealed class WarmUpTests : IDisposable
{
    private readonly GitRepo _repo = GitRepo.Init();
    private readonly TempDir _state = new("gitorch-warm-up");
    private readonly ListLogger _log = new();

    public void Dispose()
    {
        _repo.Dispose();
        _state.Dispose();
        _log.Dispose();
    }

    [Fact]
    public async Task BeforeStartReturns_ItsOwnStatusWasAnswered200_AndAdminCredentialsAreWritten()
    {
        _repo.Write("apps/worker.yaml", Manifests.Pod("worker"));
        _repo.Commit("Add worker");
        await using var host = await ControllerHost.StartAsync(Options(_repo.Root, _state.Path), b => b.AddProvider(_log), TimeProvider.System, CancellationToken.None);

        Assert.Contains(_log.Lines, l => l.Contains("Request finished", StringComparison.Ordinal) && l.Contains("GET " + host.Address + "/api/v1/status?limit=1 - 200", StringComparison.Ordinal));
        Assert.DoesNotContain(_log.Lines, l => l.Contains("Refused", StringComparison.Ordinal));
        Assert.True(File.Exists(host.AdminCredentialsPath));
    }
}
