using System.Text.Json;
using GitOrch.Agent.Runtimes;
using GitOrch.EndToEnd.Tests.Support;

namespace GitOrch.EndToEnd.Tests;

/// <summary>
/// Pods outlive the process that runs them: the real <c>gitorch up</c> is stopped (SIGTERM) and
/// started again between every step, and each step still works on the containers the previous
/// process left running: an in-place update, a removal, and <c>--stop-pods</c> at the end, for an
/// oci pod (runc) and a process pod.
/// </summary>
public sealed class ReadoptionTests
{
    private const string Policy = """
        apiVersion: gitorch.dev/v1
        kind: ClusterPolicy
        metadata: {name: cluster}
        spec:
          security:
            exceptions:
              - namespaces: [demo]
                allow: ["runtime:process"]
        """;

    private static string Pod(string name, string runtime, string greeting, string marker) => $$"""
        apiVersion: gitorch.dev/v1
        kind: Pod
        metadata: {name: {{name}}, namespace: demo}
        spec:
          runtime: {{runtime}}
          terminationGracePeriodSeconds: 1
          containers:
            - name: main
              image: busybox:1.35
              command: ["/bin/sh", "-c", "echo greeting=$GREETING; while true; do sleep 1; done # {{marker}}"]
              env: {GREETING: {{greeting}}}
        """;

    [Fact]
    public async Task OciAndProcessPods_AreUpdatedRemovedAndStopped_AfterEveryRestartOfUp()
    {
        using var repo = new GitRepo();
        var marker = "readopt-" + Guid.NewGuid().ToString("N")[..8];
        repo.Write("policy.yaml", Policy);
        repo.Write("box.yaml", Pod("box", "oci", "hello", marker));
        repo.Write("proc.yaml", Pod("proc", "process", "hello", marker));
        repo.Commit("Two pods");
        // The container's root user is uid 100000 on the host (user namespace): it must be able to reach the image's rootfs.
        File.SetUnixFileMode(repo.Root, (UnixFileMode)0x1ED); // 0755
        var state = Path.Combine(repo.Root, "state");
        var agentState = Path.GetFullPath(Path.Combine(state, "agent"));
        var (imported, _, importError) = Command.Run("image", "import", "busybox:1.35", BusyboxRootfs.Build(repo.Root), "--state", agentState);
        Assert.True(imported == 0, importError);
        var box = RuncDriver.ContainerId("Pod/demo/box", "main", agentState);
        var boxLog = Path.Combine(agentState, "pods", "Pod_demo_box", "main.log");
        var procLog = Path.Combine(agentState, "pods", "Pod_demo_proc", "main.log");
        string[] Up(params string[] more) => ["up", "--repo", repo.Path, "--state", state, "--poll", "0.2", "--node", "node-a", .. more];
        int? procPid = null;
        try
        {
            // 1. Create.
            int boxInit;
            await using (var up = GitorchProcess.Start(repo.Root, Up()))
            {
                await RunningAsync(up, "box", "proc");
                boxInit = await Until(() => Busybox.InitPid(box), p => p is not null, "runc to know the box container", up, log: boxLog) ?? 0;
                procPid = ProcPid(agentState);
                await Until(() => Read(boxLog) + Read(procLog), l => l == "greeting=hello\ngreeting=hello\n", "both pods' first output", up);
                Assert.Equal(0, await up.TerminateAsync());
            }

            Assert.Equal(boxInit, Busybox.InitPid(box)); // Stopping up leaves pods running.
            Assert.True(Alive(procPid.Value));

            // 2. Restart, then change both pods' env: each restarts in place, once.
            await using (var up = GitorchProcess.Start(repo.Root, Up()))
            {
                await RunningAsync(up, "box", "proc");
                await Until(() => up.Output, o => o.Contains("re-adopted container main", StringComparison.Ordinal), "the containers to be re-adopted", up);
                Assert.Equal(boxInit, Busybox.InitPid(box));
                Assert.Equal(procPid, ProcPid(agentState));

                repo.Replace("box.yaml", "GREETING: hello", "GREETING: again");
                repo.Replace("proc.yaml", "GREETING: hello", "GREETING: again");
                repo.Commit("New greeting");
                await Until(() => Read(boxLog), l => l == "greeting=hello\ngreeting=again\n", "the box to restart with the new env", up);
                await Until(() => Read(procLog), l => l == "greeting=hello\ngreeting=again\n", "the process pod to restart with the new env", up);
                var newInit = await Until(() => Busybox.InitPid(box), p => p is not null && p != boxInit, "a new box container", up);
                Assert.False(Alive(boxInit), $"the old box container's init (pid {boxInit}) must be gone");
                Assert.False(Alive(procPid.Value), $"the old process pod (pid {procPid}) must be gone");
                boxInit = newInit!.Value;
                procPid = ProcPid(agentState);
                await RunningAsync(up, "box", "proc");
                Assert.Equal(0, await up.TerminateAsync());
            }

            // 3. Restart with --stop-pods; remove the process pod from Git, then stop: nothing is left.
            await using (var up = GitorchProcess.Start(repo.Root, Up("--stop-pods")))
            {
                await RunningAsync(up, "box", "proc");
                Assert.Equal(boxInit, Busybox.InitPid(box));
                Assert.Equal(procPid, ProcPid(agentState));

                repo.Git("rm", "-q", "proc.yaml");
                repo.Commit("Remove the process pod");
                await Until(() => Alive(procPid.Value), alive => !alive, "the removed process pod to stop", up);
                Assert.Equal(0, await up.TerminateAsync());
                Assert.True(!up.Output.Contains("Exception", StringComparison.Ordinal), up.Output);
            }

            Assert.Null(Busybox.InitPid(box));
            Assert.False(Alive(boxInit), $"the box container's init (pid {boxInit}) must be gone");
            Assert.Equal(string.Empty, Shell("pgrep", "-f", marker).Trim());
        }
        finally
        {
            Busybox.Runc("delete", "--force", box);
            Shell("pkill", "-KILL", "-f", marker); // This test's unique marker only.
        }
    }

    private static async Task RunningAsync(GitorchProcess up, params string[] pods)
    {
        await Until(() =>
        {
            var (exit, json, _) = Command.Run("get", "pod", "-n", "demo", "--server", up.Server, "--output", "json");
            if (exit != 0)
            {
                return new Dictionary<string, string?>();
            }

            return JsonDocument.Parse(json).RootElement.EnumerateArray()
                .ToDictionary(o => o.GetProperty("name").GetString()!, o => o.TryGetProperty("phase", out var p) ? p.GetString() : null);
        }, phases => pods.All(p => phases.GetValueOrDefault(p) == "Running") && phases.Count == pods.Length, $"pods {string.Join(", ", pods)} to run", up);
    }

    private static int ProcPid(string agentState) =>
        JsonDocument.Parse(File.ReadAllText(Path.Combine(agentState, "pods", "Pod_demo_proc", "main.json"))).RootElement.GetProperty("Pid").GetInt32();

    private static bool Alive(int pid) => Directory.Exists($"/proc/{pid}") && !File.ReadAllText($"/proc/{pid}/stat").Contains(") Z ", StringComparison.Ordinal);

    private static string Read(string path) => File.Exists(path) ? File.ReadAllText(path) : string.Empty;

    private static string Shell(string tool, params string[] args)
    {
        var info = new System.Diagnostics.ProcessStartInfo(tool) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        using var process = System.Diagnostics.Process.Start(info)!;
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return output;
    }

    private static async Task<T> Until<T>(Func<T> probe, Func<T, bool> condition, string what, GitorchProcess up, int seconds = 60, string? log = null)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        var last = probe();
        while (!condition(last))
        {
            if (DateTime.UtcNow > deadline || up.HasExited)
            {
                Assert.Fail($"timed out waiting for {what}; last: {JsonSerializer.Serialize(last)}\n{up.Output}{(log is null ? string.Empty : "\n" + log + ":\n" + Read(log))}");
            }

            await Task.Delay(200);
            last = probe();
        }

        return last;
    }
}
