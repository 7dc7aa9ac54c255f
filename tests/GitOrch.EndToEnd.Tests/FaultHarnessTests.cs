using System.Globalization;
using System.Text.Json;
using GitOrch.EndToEnd.Tests.Support;
using Xunit.Abstractions;

namespace GitOrch.EndToEnd.Tests;

/// <summary>
/// The crash harness: a controller killed with SIGKILL at random moments during a stream of valid
/// and invalid commits. Afterwards every applied commit's version is present exactly once, no
/// rejected commit left a trace, versions are numbered without gaps, the mirror holds every batch
/// once and in order, and the controller resumes. CI runs a short form (5 kills);
/// GITORCH_FAULT_KILLS=50 runs the full one (see docs/benchmarks.md).
/// </summary>
public sealed class FaultHarnessTests(ITestOutputHelper output)
{
    [Fact]
    public async Task RandomKills_DuringAStreamOfCommits_LoseNothing_DuplicateNothing_AndResume()
    {
        var kills = int.Parse(Environment.GetEnvironmentVariable("GITORCH_FAULT_KILLS") ?? "5", CultureInfo.InvariantCulture);
        var seed = int.Parse(Environment.GetEnvironmentVariable("GITORCH_FAULT_SEED") ?? "20261122", CultureInfo.InvariantCulture);
        output.WriteLine($"kills {kills}, seed {seed}");
        var random = new Random(seed);
        using var repo = new GitRepo(GitRepo.ExampleRepo());

        // "Nothing lost" is checked against the full history: no retention limit here.
        repo.KeepEveryVersion();
        var valid = new List<string> { repo.Commit("Initial config") };
        var rejected = new List<string>();
        var state = Path.Combine(repo.Root, "state");
        var n = 0;

        // A controller that has applied nothing starts from the branch head; start from the first commit.
        await using (var first = GitorchProcess.Start(repo.Root, "controller", "--repo", repo.Path, "--state", state, "--poll", "0.05"))
        {
            await first.WaitForAsync(s => s.Controller.LastApplied == valid[0], "the initial commit to apply");
            first.Kill();
        }

        for (var k = 0; k < kills; k++)
        {
            await using var controller = GitorchProcess.Start(repo.Root, "controller", "--repo", repo.Path, "--state", state, "--poll", "0.05");
            for (var c = random.Next(1, 4); c > 0; c--)
            {
                n++;
                var text = repo.Read("apps/worker.yaml");
                var greeting = text[(text.IndexOf("GREETING: ", StringComparison.Ordinal) + 10)..].Split('\n')[0];
                var bad = random.NextDouble() < 0.25;
                repo.Replace("apps/worker.yaml", "GREETING: " + greeting, $"GREETING: v{n}");
                if (bad)
                {
                    repo.Replace("apps/worker.yaml", "cpu: 250m", "cpu: lots");
                    rejected.Add(repo.Commit($"bad {n}"));
                    repo.Replace("apps/worker.yaml", "cpu: lots", "cpu: 250m");
                    n++;
                    repo.Replace("apps/worker.yaml", $"GREETING: v{n - 1}", $"GREETING: v{n}");
                }

                valid.Add(repo.Commit($"good {n}"));
                await Task.Delay(random.Next(0, 150));
            }

            await Task.Delay(random.Next(200, 1500)); // Kills land in start-up, in an apply, in the mirror, or idle.
            controller.Kill();
        }

        await using var final = GitorchProcess.Start(repo.Root, "controller", "--repo", repo.Path, "--state", state, "--poll", "0.05");
        var settledAt = (await final.WaitForSettledAsync(s => s.Controller.LastApplied == valid[^1], "the last commit to apply after the kills")).Controller.CompletedCycles;
        // A kill while the mirror moved its ref leaves the ref's lock file: the mirror says so and
        // waits until the lock is older than any git process holds one, then catches up.
        await final.WaitForAsync(
            s => s.Controller.MirrorError is null && s.Controller.CompletedCycles > settledAt,
            "a mirror pass without an error after the kills");

        var (_, json, _) = Command.Run("history", "pod/worker", "-n", "demo", "--server", final.Server, "--output", "json");
        var versions = JsonDocument.Parse(json).RootElement.EnumerateArray().ToList();
        Assert.Equal(Enumerable.Range(1, versions.Count), versions.Select(v => v.GetProperty("version").GetInt32()));
        var externals = versions.Where(v => v.GetProperty("kind").GetString() == "external").Select(v => v.GetProperty("sourceCommit").GetString()!).ToList();
        Assert.Equal(externals.Distinct().Count(), externals.Count); // every applied commit once
        Assert.Equal(valid, externals); // every valid commit applied, in order
        Assert.DoesNotContain(versions, v => rejected.Contains(v.GetProperty("sourceCommit").GetString() ?? string.Empty)); // no trace of rejected ones

        var (_, statusJson, _) = Command.Run("status", "--server", final.Server, "--output", "json", "--limit", "1000");
        var commits = JsonDocument.Parse(statusJson).RootElement.GetProperty("commits").EnumerateArray().ToList();
        foreach (var bad in rejected)
        {
            Assert.Equal("rejected", commits.Single(c => c.GetProperty("sha").GetString() == bad).GetProperty("state").GetString());
        }

        var ids = repo.Git("log", "--first-parent", "--format=%(trailers:key=Gitorch-Batch,valueonly)", "refs/gitorch/history")
            .Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse).Reverse().ToList();
        Assert.Equal(Enumerable.Range(0, ids.Count), ids); // the mirror: every batch once, in order, no gap
        Assert.True(ids.Count > valid.Count, $"the mirror holds {ids.Count} batches for {valid.Count} applied commits");
    }
}
