using System.Text.Json;
using GitOrch.EndToEnd.Tests.Support;

namespace GitOrch.EndToEnd.Tests;

/// <summary>Faults a controller meets in the field, each with a clear message and no lost data.</summary>
public sealed class FaultTests
{
    [Fact]
    public async Task ASecondController_OnTheSameStateFolder_IsRefused()
    {
        using var repo = new GitRepo(GitRepo.ExampleRepo());
        var head = repo.Commit("Initial config");
        var state = Path.Combine(repo.Root, "state");
        await using var first = GitorchProcess.Start(repo.Root, "controller", "--repo", repo.Path, "--state", state, "--poll", "60");
        await first.WaitForAsync(s => s.Controller.LastApplied == head, "the first controller to start");

        await using var second = GitorchProcess.Start(repo.Root, "controller", "--repo", repo.Path, "--state", state);
        Assert.Equal(1, await second.WaitForExitAsync());
        Assert.Contains($"the state folder {state} is in use by another gitorch process", second.Output, StringComparison.Ordinal);
        Assert.Contains("--state", second.Output, StringComparison.Ordinal);
        Assert.False(first.HasExited);
    }

    [Fact]
    public async Task ACorruptStateFile_IsReportedWithWhatToDo_NotAStackTrace()
    {
        using var repo = new GitRepo(GitRepo.ExampleRepo());
        repo.Commit("Initial config");
        var state = Path.Combine(repo.Root, "state");
        Directory.CreateDirectory(state);
        await File.WriteAllBytesAsync(Path.Combine(state, "state.db"), [.. Enumerable.Range(0, 8192).Select(i => (byte)(i * 7))]);

        await using var controller = GitorchProcess.Start(repo.Root, "controller", "--repo", repo.Path, "--state", state);
        Assert.Equal(1, await controller.WaitForExitAsync());
        Assert.Contains("cannot be read", controller.Output, StringComparison.Ordinal);
        Assert.Contains("docs/operations.md", controller.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", controller.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ANonRepository_IsReportedWithWhatToDo()
    {
        var folder = Directory.CreateTempSubdirectory("gitorch-norepo-").FullName;
        try
        {
            await using var controller = GitorchProcess.Start(folder, "controller", "--repo", folder, "--state", Path.Combine(folder, ".gitorch"));
            Assert.Equal(1, await controller.WaitForExitAsync());
            Assert.Contains("is not in a git repository; run `git init", controller.Output, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task AKilledController_ResumesWithEveryVersionOnce_AndAMirrorWithoutGapOrDuplicate()
    {
        using var repo = new GitRepo(GitRepo.ExampleRepo());
        var first = repo.Commit("Initial config");
        var state = Path.Combine(repo.Root, "state");
        await using (var controller = GitorchProcess.Start(repo.Root, "up", "--repo", repo.Path, "--state", state, "--poll", "0.2", "--node", "node-a"))
        {
            await controller.WaitForAsync(s => s.Controller.LastApplied == first, "the first commit to apply");
            controller.Kill();
        }

        repo.Replace("apps/worker.yaml", "GREETING: hello", "GREETING: again");
        repo.Replace("apps/metrics.yaml", "restartPolicy: OnFailure", "restartPolicy: Always");
        var second = repo.Commit("Two pods change while the controller is down");

        await using var restarted = GitorchProcess.Start(repo.Root, "up", "--repo", repo.Path, "--state", state, "--poll", "0.2", "--node", "node-a");
        await restarted.WaitForAsync(s => s.Controller.LastApplied == second, "the commit made while down to apply");

        foreach (var pod in new[] { "worker", "metrics" })
        {
            // Every version once, numbered without gaps, and exactly one external version per commit.
            var (_, json, _) = Command.Run("history", $"pod/{pod}", "-n", "demo", "--server", restarted.Server, "--output", "json");
            var versions = JsonDocument.Parse(json).RootElement.EnumerateArray().ToList();
            Assert.Equal(Enumerable.Range(1, versions.Count), versions.Select(v => v.GetProperty("version").GetInt32()));
            Assert.Equal([first, second], versions.Where(v => v.GetProperty("kind").GetString() == "external").Select(v => v.GetProperty("sourceCommit").GetString()));
        }

        // Give the mirror its cycle, then check: batch ids on the ref are 1..n, each exactly once.
        await restarted.WaitForSettledAsync(s => s.Controller.LastApplied == second, "a mirror cycle");
        var batches = await WaitForMirrorAsync(repo, expectedAtLeast: 4); // initial apply, two placements, the commit made while down
        Assert.Equal(Enumerable.Range(0, batches.Count), batches); // 0 is the root commit that starts the mirror
    }

    [Fact]
    public void TheCli_WithoutAController_SaysHowToStartOne()
    {
        using var folder = new TempFolder();
        var credentials = OtherCluster.WriteCredentials(Path.Combine(folder.Path, "c.json"), "https://127.0.0.1:9");
        var (exit, stdout, stderr) = Command.Run("status", "--server", "https://127.0.0.1:9", "--credentials", credentials);
        Assert.Equal(1, exit);
        Assert.Equal(string.Empty, stdout);
        Assert.Contains("cannot reach the controller at https://127.0.0.1:9", stderr, StringComparison.Ordinal);
        Assert.Contains("gitorch up --repo R", stderr, StringComparison.Ordinal);
    }

    private static async Task<List<int>> WaitForMirrorAsync(GitRepo repo, int expectedAtLeast)
    {
        for (var attempt = 0; ; attempt++)
        {
            var exists = repo.Git("for-each-ref", "refs/gitorch/history").Length > 0;
            var ids = !exists ? [] : repo.Git("log", "--first-parent", "--format=%(trailers:key=Gitorch-Batch,valueonly)", "refs/gitorch/history")
                .Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse).Reverse().ToList();
            if (ids.Count >= expectedAtLeast || attempt > 100)
            {
                return ids;
            }

            await Task.Delay(100);
        }
    }
}
