using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using GitOrch.Controller.Api;
using GitOrch.EndToEnd.Tests.Support;
using Xunit.Abstractions;

namespace GitOrch.EndToEnd.Tests;

/// <summary>
/// The replicated control plane against etcd faults, with real etcd members and real
/// <c>gitorch controller --etcd</c> processes: a leader cut off from etcd, quorum lost and regained,
/// one member down with quorum kept, and writes sent to a replica that may not write.
/// </summary>
[Collection(ReplicationCollection.Name)]
public sealed class ReplicaFaultTests(ITestOutputHelper output)
{
    [Fact]
    public async Task ALeaderCutOffFromEtcd_StopsWriting_AnotherLeads_AndTheOldOneFollowsAndCatchesUpWhenEtcdReturns()
    {
        using var repo = NewRepo(out var initial);

        // Each replica talks to one etcd member only: stopping a member cuts its replica off.
        await using var set = await ReplicaSet.StartAsync(repo.Path, repo.Root, leaseTtl: 2, endpoints: (etcd, i) => etcd.ClientUrl(i));
        var old = await set.WaitForLeaderAsync(_ => true, "the first election", 90);
        await AllHaveAsync(set, initial);

        // A commit lands just before the cut: the old leader may be applying it when its etcd goes.
        var before = Change(repo, "just before the partition");
        await Task.Delay(Random.Shared.Next(0, 300));
        var clock = Stopwatch.StartNew();
        set.Etcd.Stop(old);
        var next = await set.WaitForLeaderAsync(i => i != old, $"a leader other than {set.Name(old)} after its etcd member stopped", 15);
        var after = Change(repo, "after the partition");
        await set.WaitForCommitAsync(next, after, "applied", 15);
        var commits = (await set.StatusAsync(next))!.Commits;
        Assert.Equal("applied", Assert.Single(commits, c => c.Sha == before).State); // applied once, by one of them
        output.WriteLine($"{set.Name(old)} cut off; {set.Name(next)} applied the next commit after {clock.Elapsed.TotalSeconds:0.00} s");

        // The cut-off replica says why it stopped writing, and its API refuses writes with the reason.
        await WaitForOutputAsync(set, old, $"Replica {set.Name(old)} stops leading");
        var refusal = await WriteRefusedAsync(set.Running(old), "cut-off", saying: "etcd does not answer");
        output.WriteLine($"{set.Name(old)} refuses a write: {refusal}");
        Assert.Null(await set.StatusAsync(old) is { } stale ? stale.Commits.FirstOrDefault(c => c.Sha == after) : null);

        // Its member returns: it follows the new leader and catches up; its copy holds no write the cluster lacks.
        await set.Etcd.RestartAsync(old);
        await set.WaitForCommitAsync(old, after, "applied", 30);
        Assert.Equal(next, await set.LeaderAsync());
        await AssertCopiesEqualAsync(set);
        using var http = set.Running(next).AdminClient()!;
        var tokens = await http.GetStringAsync("api/v1/tokens");
        Assert.DoesNotContain("cut-off", tokens, StringComparison.Ordinal);
    }

    [Fact]
    public async Task QuorumLost_EveryReplicaStopsWritingAndSaysWhy_AndCommitsApplyAgainWhenItReturns()
    {
        using var repo = NewRepo(out var initial);
        await using var set = await ReplicaSet.StartAsync(repo.Path, repo.Root, leaseTtl: 2);
        var old = await set.WaitForLeaderAsync(_ => true, "the first election", 90);
        await AllHaveAsync(set, initial);

        set.Etcd.Stop(0);
        set.Etcd.Stop(1);
        var during = Change(repo, "during the quorum loss");
        await WaitForOutputAsync(set, old, $"Replica {set.Name(old)} stops leading");

        // The replica that led has no API from the end of its term until it serves its copy as a
        // follower: it asks etcd once, for at most a second, before it catches up.
        var gap = Stopwatch.StartNew();
        var (back, refusedAtFirst, stillRefused) = await set.AnswerStatusAsync(old, seconds: 15);
        Assert.True(back is not null, $"{set.Name(old)} did not answer status within 15 s of its term's end: {stillRefused}\n{set.Outputs()}");
        output.WriteLine($"{set.Name(old)} answered status as a follower {gap.Elapsed.TotalSeconds:0.0} s after it said it stopped leading" + (refusedAtFirst is null ? string.Empty : $" (at first: {refusedAtFirst})"));

        for (var i = 0; i < set.Count; i++)
        {
            var refusal = await WriteRefusedAsync(set.Running(i), $"no-quorum-{i}", saying: "etcd does not answer");
            output.WriteLine($"{set.Name(i)} refuses a write: {refusal}");
        }

        Assert.Null(await set.LeaderAsync());
        await Task.Delay(TimeSpan.FromSeconds(2)); // A poll or two of the repo: nothing may apply the commit meanwhile.
        for (var i = 0; i < set.Count; i++)
        {
            var (status, first, error) = await set.AnswerStatusAsync(i, seconds: 15);
            if (first is not null)
            {
                output.WriteLine($"{set.Name(i)} had no status at first ({first}); asked again");
            }

            Assert.True(status is not null, $"{set.Name(i)} did not answer status within 15 s while quorum was lost: {error}\n{set.Outputs()}");
            Assert.DoesNotContain(status.Commits, c => c.Sha == during);
        }

        var clock = Stopwatch.StartNew();
        await set.Etcd.RestartAsync(0);
        await set.Etcd.RestartAsync(1);
        var leader = await set.WaitForLeaderAsync(_ => true, "an election after quorum returned", 30);
        await set.WaitForCommitAsync(leader, during, "applied", 30);
        output.WriteLine($"quorum back: {set.Name(leader)} applied the waiting commit {clock.Elapsed.TotalSeconds:0.00} s after the members restarted");
        var again = Change(repo, "after the quorum returned");
        await AllHaveAsync(set, again);
        await AssertCopiesEqualAsync(set);
    }

    [Fact]
    public async Task OneEtcdMemberDown_WithQuorumKept_ChangesNothing()
    {
        using var repo = NewRepo(out var initial);
        await using var set = await ReplicaSet.StartAsync(repo.Path, repo.Root, leaseTtl: 3);
        var leader = await set.WaitForLeaderAsync(_ => true, "the first election", 90);
        await AllHaveAsync(set, initial);

        var raftLeader = await set.Etcd.RaftLeaderAsync();
        var down = (raftLeader + 1) % set.Etcd.Count;
        set.Etcd.Stop(down);
        for (var c = 0; c < 3; c++)
        {
            var sha = Change(repo, $"with member {down} down ({c})");
            await AllHaveAsync(set, sha, seconds: 15);
        }

        Assert.Equal(leader, await set.LeaderAsync());
        Assert.DoesNotContain("stops leading", set.Output(leader), StringComparison.Ordinal);

        await set.Etcd.RestartAsync(down);
        var last = Change(repo, "with every member back");
        await AllHaveAsync(set, last, seconds: 15);
        Assert.Equal(leader, await set.LeaderAsync());
        await AssertCopiesEqualAsync(set);
    }

    [Fact]
    public async Task AWriteSentToAFollower_IsRefusedWith503NamingTheLeader_AndChangesNothing()
    {
        using var repo = NewRepo(out var initial);
        await using var set = await ReplicaSet.StartAsync(repo.Path, repo.Root, leaseTtl: 2);
        var leader = await set.WaitForLeaderAsync(_ => true, "the first election", 90);
        await AllHaveAsync(set, initial);
        var follower = (leader + 1) % set.Count;
        using var http = set.Running(follower).AdminClient()!;

        var refusal = await WriteRefusedAsync(set.Running(follower), "sent-to-follower", saying: set.Name(leader));

        using var sync = await http.PostAsync("api/v1/sync", null);
        var body = await sync.Content.ReadAsStringAsync();
        Assert.True(sync.StatusCode == HttpStatusCode.ServiceUnavailable, $"POST /sync on a follower: {(int)sync.StatusCode} {body}");
        Assert.Contains(set.Name(leader), body, StringComparison.Ordinal);

        using var revoke = await http.PostAsync($"api/v1/tokens/admin-{set.Name(leader)}/revoke", null);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, revoke.StatusCode);

        // The leader writes as before; no replica has the refused token, every copy is the same.
        using var admin = set.Running(leader).AdminClient()!;
        using var created = await admin.PostAsJsonAsync("api/v1/tokens", new CreateTokenRequestBody("viewer", "made-on-leader", null));
        Assert.Equal(HttpStatusCode.OK, created.StatusCode);
        var (_, copies) = await set.ConvergedCopiesAsync();
        Assert.All(copies, c => Assert.DoesNotContain("sent-to-follower", c, StringComparison.Ordinal));
        Assert.All(copies, c => Assert.Contains("made-on-leader", c, StringComparison.Ordinal));
        await AssertCopiesEqualAsync(set);
    }

    private sealed record CreateTokenRequestBody(string Role, string Name, double? TtlSeconds);

    [Fact]
    public async Task AFollowersRemovedStateFolder_StopsThatReplicaWithTheReason_WhileTheLeaderGoesOn()
    {
        using var repo = NewRepo(out var initial);
        await using var set = await ReplicaSet.StartAsync(repo.Path, repo.Root, count: 2, leaseTtl: 2);
        var leader = await set.WaitForLeaderAsync(_ => true, "the first election", 90);
        await AllHaveAsync(set, initial);
        var follower = 1 - leader;

        // A follower runs none of the leader's background services; it still notices.
        Directory.Delete(set.StateDir(follower), recursive: true);
        Assert.Equal(1, await set.Running(follower).WaitForExitAsync());
        var said = set.Output(follower);
        Assert.Contains($"the state folder {Path.GetFullPath(set.StateDir(follower))} was removed", said, StringComparison.Ordinal);
        Assert.Contains("the controller stops rather than write into a deleted database", said, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", said, StringComparison.Ordinal);

        var after = Change(repo, "after the follower stopped");
        await set.WaitForCommitAsync(leader, after, "applied", 30);
    }

    private static GitRepo NewRepo(out string initial)
    {
        var repo = new GitRepo(GitRepo.ExampleRepo());
        initial = repo.Commit("Initial config");
        return repo;
    }

    private static string Change(GitRepo repo, string what)
    {
        var text = repo.Read("apps/worker.yaml");
        var greeting = text[(text.IndexOf("GREETING: ", StringComparison.Ordinal) + 10)..].Split('\n')[0];
        repo.Replace("apps/worker.yaml", "GREETING: " + greeting, "GREETING: " + what.Replace(' ', '-'));
        return repo.Commit(what);
    }

    private static async Task AllHaveAsync(ReplicaSet set, string sha, int seconds = 60)
    {
        for (var i = 0; i < set.Count; i++)
        {
            await set.WaitForCommitAsync(i, sha, "applied", seconds);
        }
    }

    /// <summary>Creates a token on <paramref name="replica"/>, expecting a 503 (not a 500); returns the reason given.</summary>
    private static async Task<string> WriteRefusedAsync(GitorchProcess replica, string name, string? saying = null, int seconds = 20)
    {
        var deadline = Stopwatch.StartNew();
        string last = "(no answer)";
        while (deadline.Elapsed < TimeSpan.FromSeconds(seconds))
        {
            try
            {
                if (replica.AdminClient() is { } http)
                {
                    using var response = await http.PostAsJsonAsync("api/v1/tokens", new CreateTokenRequestBody("viewer", name, null));
                    var body = await response.Content.ReadAsStringAsync();
                    Assert.NotEqual(HttpStatusCode.InternalServerError, response.StatusCode);
                    Assert.NotEqual(HttpStatusCode.OK, response.StatusCode);
                    last = $"{(int)response.StatusCode} {body}";
                    if (response.StatusCode == HttpStatusCode.ServiceUnavailable)
                    {
                        var reason = JsonSerializer.Deserialize<ErrorModel>(body, JsonSerializerOptions.Web)?.Error ?? body;
                        if (saying is null || reason.Contains(saying, StringComparison.Ordinal))
                        {
                            return reason; // Until it knows, a replica may still name the leader it saw last.
                        }
                    }
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
                last = ex.Message; // Its host is between roles.
            }

            await Task.Delay(200);
        }

        Assert.Fail($"a write on {replica.Server} was not refused with 503 within {seconds} s; last answer: {last}\n{replica.Output}");
        return last;
    }

    private static async Task WaitForOutputAsync(ReplicaSet set, int replica, string text, int seconds = 20)
    {
        var deadline = Stopwatch.StartNew();
        while (!set.Output(replica).Contains(text, StringComparison.Ordinal))
        {
            Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(seconds), $"replica {set.Name(replica)} did not log \"{text}\" within {seconds} s\n{set.Outputs()}");
            await Task.Delay(100);
        }
    }

    private static async Task AssertCopiesEqualAsync(ReplicaSet set)
    {
        var (applied, copies) = await set.ConvergedCopiesAsync();
        for (var i = 1; i < copies.Count; i++)
        {
            Assert.True(copies[0] == copies[i], $"the copies of {set.Name(0)} and {set.Name(i)} differ at entry {applied}:\n{ReplicaFailoverHarnessTests.FirstDifference(copies[0], copies[i])}");
        }
    }
}
