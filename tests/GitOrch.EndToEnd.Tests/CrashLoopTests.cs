using System.Text.RegularExpressions;
using GitOrch.EndToEnd.Tests.Support;

namespace GitOrch.EndToEnd.Tests;

/// <summary>A pod whose container exits on every start is named a crash loop, with its exit code, restarts, next attempt and own output.</summary>
public sealed class CrashLoopTests
{
    [Fact]
    public async Task ACrashingPod_IsInPhaseCrashLoop_AndGetAndWhyShowExitCodeRestartsNextAttemptAndLastOutput()
    {
        using var repo = new GitRepo();
        var marker = "crashloop-" + Guid.NewGuid().ToString("N")[..8];
        repo.Write("policy.yaml", """
            apiVersion: gitorch.dev/v1
            kind: ClusterPolicy
            metadata: {name: cluster}
            spec:
              security:
                exceptions:
                  - namespaces: [demo]
                    allow: ["runtime:process"]
            """);
        repo.Write("crashy.yaml", $$"""
            apiVersion: gitorch.dev/v1
            kind: Pod
            metadata: {name: crashy, namespace: demo}
            spec:
              runtime: process
              containers:
                - name: main
                  command: ["/bin/sh", "-c", "echo 'fatal: config file missing' >&2; exit 1 # {{marker}}"]
            """);
        repo.Commit("A pod that cannot start");
        await using var up = GitorchProcess.Start(repo.Root, "up", "--repo", repo.Path, "--state", Path.Combine(repo.Root, "state"), "--poll", "0.2", "--node", "node-a", "--stop-pods");

        string get = string.Empty;
        // The second crash or any later one: on a slow machine the first answer may come after the third.
        for (var deadline = DateTime.UtcNow.AddSeconds(60); !Regex.IsMatch(get, @"\(×([2-9]|[1-9]\d+)\)"); await Task.Delay(200))
        {
            Assert.True(DateTime.UtcNow < deadline && !up.HasExited, $"timed out waiting for a second crash in `get`:\n{get}\n{up.Output}");
            get = Command.Run("get", "pod", "crashy", "-n", "demo", "--server", up.Server).Out;
        }

        Assert.Contains(" CrashLoop ", get, StringComparison.Ordinal);
        Assert.Matches(@"Container main: crash loop, exited with code 1, [1-9]\d* restart\(s\), next attempt at \d\d:\d\d:\d\d \((in \d+\.\ds|due)\)", get);
        Assert.Matches(@"\n  last output  fatal: config file missing \(×\d+\)\n", get);

        // The runtime step's message follows the node's report at its next poll (every second).
        var (exit, why, _) = Command.Run("why", "crashy", "-n", "demo", "--server", up.Server);
        // Between a crash and its restart the blocking step can be another for a moment: wait for both.
        for (var deadline = DateTime.UtcNow.AddSeconds(30);
             !(why.Contains("crash loop on node-a", StringComparison.Ordinal) && why.Contains("Blocked by step runtime (loop runtime)", StringComparison.Ordinal)) && DateTime.UtcNow < deadline;
             await Task.Delay(200))
        {
            (exit, why, _) = Command.Run("why", "crashy", "-n", "demo", "--server", up.Server);
        }

        Assert.Equal(3, exit);
        Assert.Contains("is not running (phase CrashLoop on node-a", why, StringComparison.Ordinal);
        Assert.Matches(@"Container main: crash loop, exited with code 1, [1-9]\d* restart\(s\), next attempt at", why);
        Assert.Contains("fatal: config file missing (×", why, StringComparison.Ordinal);
        Assert.True(why.Contains("Blocked by step runtime (loop runtime)", StringComparison.Ordinal), $"`why` within 30 s:\n{why}\n{up.Output}");
        Assert.True(why.Contains("crash loop on node-a: main exited with code 1", StringComparison.Ordinal), why);
        Assert.Equal(0, await up.TerminateAsync());
    }
}
