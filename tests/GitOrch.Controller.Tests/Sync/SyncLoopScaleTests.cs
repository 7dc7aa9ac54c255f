using System.Text;
using GitOrch.Controller.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;
using static GitOrch.Controller.Tests.Support.Controllers;

namespace GitOrch.Controller.Tests.Sync;

/// <summary>
/// The controller at 10,000 pods, through its hosted services: the sync cycle applies the big
/// commit and returns, workflow starts and the mirror follow on their own, and the next commit
/// applies while they do. (How long each part takes is bench/'s to measure, not this test's.)
/// </summary>
public sealed class SyncLoopScaleTests : IDisposable
{
    private const int Files = 100;
    private const int PodsPerFile = 100;

    private readonly GitRepo _repo = GitRepo.Init();
    private readonly TempDir _state = new("gitorch-scale-state");

    public void Dispose()
    {
        _repo.Dispose();
        _state.Dispose();
    }

    private static string File(int file, string greeting)
    {
        var text = new StringBuilder();
        for (var i = 0; i < PodsPerFile; i++)
        {
            text.Append(Manifests.Pod($"pod-{file}-{i}", ns: $"ns-{file % 10}", greeting: greeting)).Append("---\n");
        }

        return text.ToString();
    }

    private static async Task UntilAsync(Func<bool> condition, string what, ControllerService controller, int seconds = 300)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"timed out waiting until {what}; status: {controller.Status}");
            await Task.Delay(50);
        }
    }

    [Fact]
    public async Task AfterA10000PodCommit_TheNextCommitApplies_WhileWorkflowStartsAndTheMirrorFollowOnTheirOwn()
    {
        for (var f = 0; f < Files; f++)
        {
            _repo.Write($"apps/file-{f:D3}.yaml", File(f, "hello"));
        }

        var big = _repo.Commit("10,000 pods");
        var options = Options(_repo.Root, _state.Path) with { Poll = TimeSpan.FromMilliseconds(100) };
        await using var controller = await ControllerService.OpenAsync(options, NullLoggerFactory.Instance, TimeProvider.System, CancellationToken.None);
        using var stop = new CancellationTokenSource();
        var running = controller.RunAsync(stop.Token);
        try
        {
            await UntilAsync(() => controller.Status.LastApplied == big, "the 10,000-pod commit applies", controller);
            Assert.Equal(Files * PodsPerFile, controller.Store.CountByKind()["Pod"]);

            _repo.Write("apps/file-007.yaml", File(7, "again"));
            var next = _repo.Commit("One file changes");
            await UntilAsync(() => controller.Status.LastApplied == next, "the one-file commit applies after the big one", controller);
            Assert.Null(controller.Status.LastError);
            Assert.Contains("again", controller.Store.Get(new("Pod", "ns-7", "pod-7-3"))!.ObjectJson, StringComparison.Ordinal);

            // What follows from the commits is done by the other services, in their own time.
            await UntilAsync(() => controller.Workflows.Engine.Current(new("Pod", "ns-9", "pod-99-99")) is not null, "every pod gets a workflow", controller);
            await UntilAsync(() => controller.Status.MirrorError is null && controller.Status.CompletedCycles > 1, "the mirror passes", controller);
        }
        finally
        {
            await stop.CancelAsync();
            await running;
        }
    }
}
