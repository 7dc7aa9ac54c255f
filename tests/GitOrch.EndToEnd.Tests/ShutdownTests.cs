using System.Text;
using GitOrch.EndToEnd.Tests.Support;

namespace GitOrch.EndToEnd.Tests;

/// <summary>Ctrl+C stops the controller promptly at any size, even in the middle of a 10,000-pod apply.</summary>
public sealed class ShutdownTests
{
    private static string Pods(int file, int count)
    {
        var text = new StringBuilder();
        for (var i = 0; i < count; i++)
        {
            text.Append($$"""
                apiVersion: gitorch.dev/v1
                kind: Pod
                metadata: {name: pod-{{file}}-{{i}}, namespace: ns-{{file % 10}}}
                spec:
                  containers:
                    - name: main
                      image: busybox:1.36
                      command: [sleep, "3600"]
                      resources: {cpu: 100m, memory: 16Mi}
                ---

                """);
        }

        return text.ToString();
    }

    [Fact]
    public async Task SigInt_StopsTheController_Within10Seconds_WhileA10000PodRepoIsBeingApplied()
    {
        using var repo = new GitRepo();
        for (var f = 0; f < 100; f++)
        {
            repo.Write($"apps/file-{f:D3}.yaml", Pods(f, 100));
        }

        repo.Commit("10,000 pods");
        var state = Path.Combine(repo.Root, "state");
        await using var controller = GitorchProcess.Start(repo.Root, "controller", "--repo", repo.Path, "--state", state, "--poll", "0.5");
        await controller.WaitForAsync(_ => true, "the API to answer (the first apply has begun: the sync loop starts before the API)", seconds: 120);

        controller.Interrupt();

        Assert.Equal(0, await controller.WaitForExitAsync(seconds: 10));
        Assert.Contains("gitorch: stopping", controller.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SigInt_WithStopPods_StopsUpWithin10Seconds_AndItsPods()
    {
        using var repo = new GitRepo(GitRepo.ExampleRepo());
        var head = repo.Commit("Initial config");
        var state = Path.Combine(repo.Root, "state");
        await using var up = GitorchProcess.Start(repo.Root, "up", "--repo", repo.Path, "--state", state, "--poll", "0.2", "--node", $"node-{Guid.NewGuid():N}"[..16], "--stop-pods");
        await up.WaitForAsync(s => s.Controller.LastApplied == head, "the example repo to apply", seconds: 60);

        up.Interrupt();

        Assert.Equal(0, await up.WaitForExitAsync(seconds: 10));
        Assert.Contains("gitorch: stopping", up.Output, StringComparison.Ordinal);
    }
}
