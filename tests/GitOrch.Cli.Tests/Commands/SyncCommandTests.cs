using GitOrch.Cli.Tests.Support;

namespace GitOrch.Cli.Tests.Commands;

/// <summary><c>gitorch sync</c> applies a new commit now (the controller polls only hourly here); <c>--retry</c> refuses what did not fail.</summary>
public sealed class SyncCommandTests : IAsyncLifetime
{
    private RunningController? _controller;

    public async Task InitializeAsync() => _controller = await RunningController.StartAsync();

    public async Task DisposeAsync()
    {
        if (_controller is not null)
        {
            await _controller.DisposeAsync();
        }
    }

    [Fact]
    public async Task Sync_AppliesTheNewCommitNow()
    {
        _controller!.Repo.Write("apps/worker.yaml", """
            apiVersion: gitorch.dev/v1
            kind: Pod
            metadata: {name: worker, namespace: demo}
            spec:
              containers:
                - {name: main, image: busybox:1.35, command: ["sleep", "1000"]}
            """);
        var commit = _controller.Repo.Commit("Add worker");

        var (exit, stdout, stderr) = await _controller.RunAsync("sync");

        Assert.True(exit == 0, stderr);
        Assert.EndsWith($": head {commit[..12]}, last applied {commit[..12]}.\n", stdout, StringComparison.Ordinal);
        Assert.Equal(commit, _controller.Host.Controller.Status.LastApplied);

        var (retryExit, _, retryError) = await _controller.RunAsync("sync", "--retry", "pod/worker", "-n", "demo");
        Assert.Equal(1, retryExit);
        Assert.Contains("Pod demo/worker has nothing to retry: no unit of its transaction", retryError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Retry_OfAnUnknownObject_SaysHowToFindIt()
    {
        var (exit, _, stderr) = await _controller!.RunAsync("sync", "--retry", "pod/nothere", "-n", "demo");

        Assert.Equal(1, exit);
        Assert.Contains("Pod demo/nothere not found", stderr, StringComparison.Ordinal);
    }
}
