using System.Text.Json;
using GitOrch.EndToEnd.Tests.Support;

namespace GitOrch.EndToEnd.Tests;

/// <summary>
/// The story of the history feature, end to end with a real `gitorch up` process: a new user runs
/// it on a copy of example-repo, commits twice, sees both versions with the right changers, the
/// mechanical ones in the Git mirror, and rolls back.
/// </summary>
public sealed class HistoryStoryTests
{
    [Fact]
    public async Task NewUser_CommitsTwice_SeesVersionsAndChangers_TheMirror_AndRollsBack()
    {
        using var repo = new GitRepo(GitRepo.ExampleRepo());
        var first = repo.Commit("Initial config", "alice@example.com", "Alice");
        await using var up = GitorchProcess.Start(repo.Root, "up", "--repo", repo.Path, "--state", Path.Combine(repo.Root, "state"), "--poll", "0.2", "--node", "node-a");
        await up.WaitForAsync(s => s.Controller.LastApplied == first, "the first commit to apply");

        // The workflow runs after the apply, on its own: let it place and address the pod first, so
        // the story's versions come in the order a user who waits a moment sees them.
        var placed = DateTime.UtcNow.AddSeconds(30);
        while (Command.Run("history", "pod/worker", "-n", "demo", "--server", up.Server, "--output", "json") is var (_, sofar, _)
            && !sofar.Contains("control-loop/ipam", StringComparison.Ordinal))
        {
            Assert.True(DateTime.UtcNow < placed, $"the worker pod was not placed and addressed in 30 s:\n{up.Output}");
            await Task.Delay(100);
        }

        repo.Replace("apps/worker.yaml", "GREETING: hello", "GREETING: bonjour");
        var second = repo.Commit("Worker says bonjour", "bob@example.com", "Bob");
        await up.WaitForSettledAsync(s => s.Controller.LastApplied == second, "the second commit to apply");

        // history: both external versions with their authors, and the mechanical ones of the workflow
        // (the scheduler places the pod, ipam gives it an address).
        var (exit, json, _) = Command.Run("history", "pod/worker", "-n", "demo", "--server", up.Server, "--output", "json");
        Assert.Equal(0, exit);
        var versions = JsonDocument.Parse(json).RootElement.EnumerateArray()
            .Select(v => (v.GetProperty("version").GetInt32(), v.GetProperty("changer").GetString(), v.GetProperty("kind").GetString(), v.GetProperty("sourceCommit").GetString()))
            .ToList();
        Assert.Equal(
            [
                (1, "git/alice@example.com", "external", first),
                (2, "control-loop/scheduler", "mechanical", first),
                (3, "control-loop/ipam", "mechanical", first),
                (4, "git/bob@example.com", "external", second),
            ],
            versions);
        var fields = JsonDocument.Parse(json).RootElement[3].GetProperty("fields").EnumerateArray().Select(f => f.GetString());
        Assert.Equal(["spec.containers[0].env.GREETING"], fields);

        var (_, table, _) = Command.Run("history", "pod/worker", "-n", "demo", "--server", up.Server, "--exclude-changer", "control-loop/scheduler");
        Assert.DoesNotContain("control-loop/scheduler", table, StringComparison.Ordinal);
        Assert.Contains("git/bob@example.com", table, StringComparison.Ordinal);

        // The mirror: one git log shows the pod's whole life, mechanical commits with their trailers.
        var life = repo.Git("log", "--format=%s", "refs/gitorch/history", "--", "objects/Pod/demo/worker.yaml").Trim().Split('\n');
        Assert.Equal(
            [$"git/bob@example.com: Pod/demo/worker applied {second[..12]}: Worker says bonjour", life[1], "scheduler: Pod/demo/worker place on node-a", life[3]],
            life);
        Assert.Matches($@"^git/alice@example\.com: \S+ and \d+ more applied {first[..12]}: Initial config$", life[3]); // Every object of the first commit, named by count.
        Assert.StartsWith("ipam: Pod/demo/worker address fd12:3456:789a:", life[1], StringComparison.Ordinal); // The policy's podPrefix.
        var mechanical = repo.Git("log", "-1", "--format=%B", "--grep=^scheduler: Pod/demo/worker place", "refs/gitorch/history");
        Assert.Contains("Changer: control-loop/scheduler\nChange-Kind: mechanical\nObject: Pod/demo/worker\nObject-Version: 2\nFields: status.nodeName\n" +
            $"Source-Commit: {first}\n", mechanical, StringComparison.Ordinal);
        var applyCommit = repo.Git("log", "-1", "--format=%P", "refs/gitorch/history", "--grep=Worker says bonjour").Trim().Split(' ');
        Assert.Equal(second, applyCommit[1]);

        // diff and blame.
        var (_, diff, _) = Command.Run("diff", "pod/worker", "3", "4", "-n", "demo", "--server", up.Server);
        Assert.Contains("-        GREETING: hello\n+        GREETING: bonjour", diff, StringComparison.Ordinal);
        var (_, blame, _) = Command.Run("blame", "pod/worker", "status.nodeName", "-n", "demo", "--server", up.Server);
        Assert.Contains("set in version 2 by control-loop/scheduler (mechanical)", blame, StringComparison.Ordinal);

        // rollback to version 1 on a branch, merge it, and the controller applies it as version 4.
        repo.Git("config", "user.name", "Carol");
        repo.Git("config", "user.email", "carol@example.com");
        var (rollbackExit, rollbackOut, rollbackErr) = Command.Run("rollback", "pod/worker", "--to", "1", "-n", "demo", "--repo", repo.Path, "--server", up.Server);
        Assert.True(rollbackExit == 0, rollbackErr);
        Assert.Contains("on branch rollback/worker-v1", rollbackOut, StringComparison.Ordinal);
        Assert.Equal("Rollback Pod demo/worker to version 1\n\nRollback-To: 1\nRollback-From: 4\n", repo.Git("log", "-1", "--format=%B", "rollback/worker-v1").TrimEnd('\n') + "\n");
        Assert.Contains("GREETING: bonjour", repo.Read("apps/worker.yaml"), StringComparison.Ordinal); // The work tree is untouched.

        repo.Git("merge", "-q", "--ff-only", "rollback/worker-v1");
        var merged = repo.Git("rev-parse", "HEAD").Trim();
        await up.WaitForSettledAsync(s => s.Controller.LastApplied == merged, "the rollback to apply");
        var (_, after, _) = Command.Run("blame", "pod/worker", "spec.containers[0].env.GREETING", "-n", "demo", "--server", up.Server);
        Assert.StartsWith("spec.containers[0].env.GREETING: \"hello\"\n  set in version 5 by git/carol@example.com (external)", after, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ARejectedCommit_IsShownWithPositions_AndALaterGoodCommitAppliesOnTopOfTheLastGoodOne()
    {
        using var repo = new GitRepo(GitRepo.ExampleRepo());
        var good = repo.Commit("Initial config");
        await using var up = GitorchProcess.Start(repo.Root, "up", "--repo", repo.Path, "--state", Path.Combine(repo.Root, "state"), "--poll", "0.2");
        await up.WaitForAsync(s => s.Controller.LastApplied == good, "the first commit to apply");

        repo.Replace("apps/worker.yaml", "cpu: 250m", "cpu: lots");
        var bad = repo.Commit("Give the worker lots of cpu", "eve@example.com", "Eve");
        var status = await up.WaitForAsync(s => s.Commits.Any(c => c.Sha == bad), "the bad commit to be processed");
        var rejected = status.Commits.Single(c => c.Sha == bad);
        Assert.Equal("rejected", rejected.State);
        var d = Assert.Single(rejected.Diagnostics);
        Assert.Equal(("apps/worker.yaml", "GO1009"), (d.File, d.Code));
        Assert.Equal(good, status.Controller.LastApplied);

        var (_, text, _) = Command.Run("status", "--server", up.Server);
        Assert.Contains($"Rejected {bad[..12]} \"Give the worker lots of cpu\" by eve@example.com:", text, StringComparison.Ordinal);
        Assert.Contains($"  apps/worker.yaml:{d.Line}:{d.Column}: error GO1009: Pod demo/worker:", text, StringComparison.Ordinal);

        repo.Replace("apps/worker.yaml", "cpu: lots", "cpu: 500m");
        var fixedCommit = repo.Commit("Give the worker 500m", "eve@example.com", "Eve");
        await up.WaitForAsync(s => s.Controller.LastApplied == fixedCommit, "the fixed commit to apply");
        var (_, history, _) = Command.Run("history", "pod/worker", "-n", "demo", "--server", up.Server);
        Assert.Contains("git/eve@example.com", history, StringComparison.Ordinal);
        Assert.Contains("spec.containers[0].resources.cpu", history, StringComparison.Ordinal);
    }
}
