using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using GitOrch.EndToEnd.Tests.Support;
using Xunit.Abstractions;

namespace GitOrch.EndToEnd.Tests;

/// <summary>
/// The failover harness: three etcd members, three <c>gitorch controller --etcd</c> replicas on one
/// config repo, a stream of valid and invalid commits, and the leader killed with SIGKILL at random
/// moments (then started again). After each kill another replica must apply a commit made right
/// after it within 15 s; afterwards every valid commit is applied once and in order, every invalid
/// one rejected once, versions have no gap or duplicate, the mirror holds every batch once, every
/// replica's copy of the state is the same rows, and the last commit's workflow runs on the last
/// leader. CI runs 20 kills; GITORCH_HA_KILLS scales it, GITORCH_HA_SEED replays a run.
/// </summary>
[Collection(ReplicationCollection.Name)]
public sealed class ReplicaFailoverHarnessTests(ITestOutputHelper output)
{
    private static readonly TimeSpan TakeoverLimit = TimeSpan.FromSeconds(15);

    [Fact]
    public async Task KillingTheLeaderAtRandomMoments_AnotherReplicaTakesOverWithin15s_AndNothingIsLostDuplicatedOrDivergent()
    {
        var kills = int.Parse(Environment.GetEnvironmentVariable("GITORCH_HA_KILLS") ?? "20", CultureInfo.InvariantCulture);
        var seed = int.Parse(Environment.GetEnvironmentVariable("GITORCH_HA_SEED") ?? Random.Shared.Next(1, 1_000_000).ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
        output.WriteLine($"kills {kills}, seed {seed} (replay: GITORCH_HA_SEED={seed} GITORCH_HA_KILLS={kills})");
        var random = new Random(seed);
        using var repo = new GitRepo(GitRepo.ExampleRepo());

        // "Nothing lost" is checked against the full history: no retention limit here.
        repo.KeepEveryVersion();
        var valid = new List<string> { repo.Commit("Initial config") };
        var rejected = new List<string>();
        var n = 0;

        await using var set = await ReplicaSet.StartAsync(repo.Path, repo.Root, leaseTtl: 2);
        var leader = await set.WaitForLeaderAsync(_ => true, "the first election", 90);
        await set.WaitForCommitAsync(leader, valid[0], "applied", 60);

        string Good()
        {
            n++;
            var text = repo.Read("apps/worker.yaml");
            var greeting = text[(text.IndexOf("GREETING: ", StringComparison.Ordinal) + 10)..].Split('\n')[0];
            repo.Replace("apps/worker.yaml", "GREETING: " + greeting, $"GREETING: v{n}");
            var sha = repo.Commit($"good {n}");
            valid.Add(sha);
            return sha;
        }

        void Bad()
        {
            repo.Replace("apps/worker.yaml", "cpu: 250m", "cpu: lots");
            rejected.Add(repo.Commit($"bad after {n}"));
            repo.Replace("apps/worker.yaml", "cpu: lots", "cpu: 250m");
        }

        var takeovers = new List<(string From, string To, TimeSpan Time)>();
        try
        {
            for (var k = 0; k < kills; k++)
            {
                for (var c = random.Next(1, 4); c > 0; c--)
                {
                    if (random.NextDouble() < 0.3)
                    {
                        Bad();
                    }

                    Good();
                    await Task.Delay(random.Next(0, 150));
                }

                // Kills land in a commit's apply, in a journal write, in the mirror, or idle.
                await Task.Delay(random.Next(0, 1500));
                leader = await set.WaitForLeaderAsync(_ => true, $"a leader to kill (kill {k + 1})");
                var clock = Stopwatch.StartNew();
                await set.KillAsync(leader);

                // A commit after the kill: the next leader must apply it, from where the last one stopped.
                if (random.NextDouble() < 0.3)
                {
                    Bad();
                }

                var probe = Good();
                var next = await set.WaitForLeaderAsync(i => i != leader, $"a takeover after kill {k + 1} of {set.Name(leader)} (seed {seed})", (int)TakeoverLimit.TotalSeconds);
                var left = TakeoverLimit - clock.Elapsed;
                await set.WaitForCommitAsync(next, probe, "applied", Math.Max(1, (int)Math.Ceiling(left.TotalSeconds)));
                takeovers.Add((set.Name(leader), set.Name(next), clock.Elapsed));
                output.WriteLine($"kill {k + 1}: {set.Name(leader)} killed; {set.Name(next)} applied the next commit after {clock.Elapsed.TotalSeconds:0.00} s");
                Assert.True(clock.Elapsed <= TakeoverLimit, $"takeover after kill {k + 1} took {clock.Elapsed.TotalSeconds:0.00} s (seed {seed})");
                set.Start(leader);
            }
        }
        finally
        {
            if (takeovers.Count > 0)
            {
                var times = takeovers.Select(t => t.Time.TotalSeconds).Order().ToList();
                output.WriteLine($"takeover (kill -9 of the leader → the next commit applied by another replica), {times.Count} kills: min {times[0]:0.00} s, median {times[times.Count / 2]:0.00} s, max {times[^1]:0.00} s");
            }
        }

        var last = Good();
        leader = await set.WaitForLeaderAsync(_ => true, "the leader after the kills");
        await set.WaitForCommitAsync(leader, last, "applied", 30);
        var started = await WorkflowAsync(set, leader, w => w.GetProperty("commit").GetString() == last, "the last commit's workflow to start");

        // A last kill with no commit after it: the workflow the killed leader started resumes on the next one.
        var killedAt = DateTimeOffset.UtcNow;
        var resume = Stopwatch.StartNew();
        await set.KillAsync(leader);
        var heir = await set.WaitForLeaderAsync(i => i != leader, $"a takeover after the last kill (seed {seed})", (int)TakeoverLimit.TotalSeconds);
        var resumed = await WorkflowAsync(set, heir, w => w.GetProperty("commit").GetString() == last && LastLogAt(w) > killedAt, "the last commit's workflow to run on the next leader");
        output.WriteLine($"workflow of pod/worker (transaction {started.GetProperty("transaction")} by {set.Name(leader)}) ran on {set.Name(heir)} {resume.Elapsed.TotalSeconds:0.00} s after the kill: transaction {resumed.GetProperty("transaction")}, {resumed.GetProperty("state")}, blocked at {resumed.GetProperty("blocking").GetProperty("name")}: {resumed.GetProperty("blocking").GetProperty("message")}");
        Assert.Equal(started.GetProperty("transaction").GetInt64(), resumed.GetProperty("transaction").GetInt64()); // resumed, not started over
        set.Start(leader);
        leader = heir;
        var lead = set.Running(leader);
        var settledAt = (await lead.WaitForSettledAsync(s => s.Controller.LastApplied == last, "the last commit applied and the mirror following on the last leader")).Controller.CompletedCycles;
        // A kill while the mirror moved its ref leaves the ref's lock file: the mirror says so and
        // waits until the lock is older than any git process holds one, then catches up.
        await lead.WaitForAsync(
            s => s.Controller.MirrorError is null && s.Controller.CompletedCycles > settledAt,
            "a mirror pass without an error on the last leader");

        // Every valid commit applied once, in order; versions numbered without gap or duplicate; no trace of the rejected ones.
        var (_, json, _) = Command.Run("history", "pod/worker", "-n", "demo", "--server", lead.Server, "--output", "json");
        var versions = JsonDocument.Parse(json).RootElement.EnumerateArray().ToList();
        Assert.Equal(Enumerable.Range(1, versions.Count), versions.Select(v => v.GetProperty("version").GetInt32()));
        var externals = versions.Where(v => v.GetProperty("kind").GetString() == "external").Select(v => v.GetProperty("sourceCommit").GetString()!).ToList();
        Assert.Equal(externals.Distinct().Count(), externals.Count);
        Assert.Equal(valid, externals);
        Assert.DoesNotContain(versions, v => rejected.Contains(v.GetProperty("sourceCommit").GetString() ?? string.Empty));

        // The commits table: each commit once, valid ones applied, invalid ones rejected.
        var status = await set.StatusAsync(leader, 5000) ?? throw new InvalidOperationException("the leader does not answer");
        foreach (var sha in valid)
        {
            Assert.Equal("applied", Assert.Single(status.Commits, c => c.Sha == sha).State);
        }

        foreach (var sha in rejected)
        {
            Assert.Equal("rejected", Assert.Single(status.Commits, c => c.Sha == sha).State);
        }

        // The mirror: every batch once, in order, no gap.
        var ids = repo.Git("log", "--first-parent", "--format=%(trailers:key=Gitorch-Batch,valueonly)", "refs/gitorch/history")
            .Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse).Reverse().ToList();
        Assert.Equal(Enumerable.Range(0, ids.Count), ids);
        Assert.True(ids.Count > valid.Count, $"the mirror holds {ids.Count} batches for {valid.Count} applied commits");

        // Every replica's copy: the same rows in every table, at the same journal entry.
        for (var i = 0; i < set.Count; i++)
        {
            await set.WaitForCommitAsync(i, last, "applied", 60);
        }

        var (applied, copies) = await set.ConvergedCopiesAsync(60);
        output.WriteLine($"every replica's copy is at journal entries {applied} (state.db/trust.db)");
        for (var i = 1; i < copies.Count; i++)
        {
            Assert.True(copies[0] == copies[i], $"the copies of {set.Name(0)} and {set.Name(i)} differ at entry {applied}:\n{FirstDifference(copies[0], copies[i])}");
        }

    }

    /// <summary>Polls the workflow of pod/worker on <paramref name="replica"/> until <paramref name="condition"/> holds.</summary>
    private static async Task<JsonElement> WorkflowAsync(ReplicaSet set, int replica, Func<JsonElement, bool> condition, string what, int seconds = 30)
    {
        var deadline = Stopwatch.StartNew();
        var last = "(no answer)";
        while (deadline.Elapsed < TimeSpan.FromSeconds(seconds))
        {
            try
            {
                if (set.Running(replica).AdminClient() is { } http)
                {
                    using var response = await http.GetAsync("api/v1/objects/pod/worker/workflow?namespace=demo");
                    last = await response.Content.ReadAsStringAsync();
                    if (response.IsSuccessStatusCode && JsonDocument.Parse(last).RootElement.GetProperty("workflow") is var workflow && condition(workflow))
                    {
                        return workflow.Clone();
                    }
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
                last = ex.Message;
            }

            await Task.Delay(200);
        }

        Assert.Fail($"timed out waiting for {what} on {set.Name(replica)}; last answer: {last}\n{set.Outputs()}");
        return default;
    }

    private static DateTimeOffset LastLogAt(JsonElement workflow) =>
        workflow.TryGetProperty("blocking", out var blocking) && blocking.ValueKind == JsonValueKind.Object
            && blocking.TryGetProperty("lastLogs", out var logs) && logs.ValueKind == JsonValueKind.Array && logs.GetArrayLength() > 0
            ? logs.EnumerateArray().Max(l => l.GetProperty("time").GetDateTimeOffset())
            : DateTimeOffset.MinValue;

    internal static string FirstDifference(string a, string b)
    {
        var left = a.Split('\n');
        var right = b.Split('\n');
        for (var i = 0; i < Math.Max(left.Length, right.Length); i++)
        {
            var l = i < left.Length ? left[i] : "(end)";
            var r = i < right.Length ? right[i] : "(end)";
            if (l != r)
            {
                var table = left.Take(i).LastOrDefault(x => x.StartsWith("== ", StringComparison.Ordinal));
                return $"in {table}:\n  {l}\n  {r}";
            }
        }

        return "(no difference)";
    }
}
