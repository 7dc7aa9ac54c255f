using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using GitOrch.Agent;
using GitOrch.Controller;
using GitOrch.Controller.Nodes;
using GitOrch.Core.Diagnostics;
using GitOrch.History.Store;
using Microsoft.Extensions.Logging.Abstractions;

namespace GitOrch.Bench;

/// <summary>
/// In-place restart against delete + create, through one path: a real controller (ControllerHost,
/// its sync loop, workflows and node gateway) and a real node agent running one pod: an oci pod
/// (a busybox container under runc, in its own network namespace; as root, where runc is) or a
/// process pod. Each
/// round commits a change to the pod's file and times commit → the controller's store showing the
/// pod Running again, written by the runtime loop from the agent's report after that commit's
/// version. The in-place change is an env value (a new definition of the same pod: the agent
/// restarts it in place); the delete + create change renames the pod (the old one is deleted and
/// a new one is scheduled, addressed, given its sandbox and started). Nothing else differs.
/// The agent runs with its default heartbeat: it reports a pod's change when it happens.
/// The pod's process stops as soon as it gets SIGTERM, as a service should: a shell whose TERM trap
/// exits while it waits in a builtin read, with no child process. A shell that waits for a
/// foreground <c>sleep</c> runs its trap only when the sleep ends, and a child left running when a
/// container's first process exits is killed by the kernel as the pid namespace goes; either adds
/// its own delay (up to 50 and about 100 ms here) to both sides alike and measures the workload,
/// not the restart.
/// </summary>
public static class RestartCase
{
    private const string Node = "bench-node";
    private const string Namespace = "bench";
    private const string File = "apps/pod.yaml";

    /// <summary>Whether oci pods can run here: runc, and root (network namespaces, the container's user namespace).</summary>
    public static string? OciUnavailable() =>
        Environment.UserName != "root" ? "oci pods need root (network namespaces, runc)"
        : GitOrch.Agent.Runtimes.RuncDriver.RuncPath is null ? "runc is not installed"
        : !System.IO.File.Exists("/usr/bin/busybox") ? "no /usr/bin/busybox to build the image from (apt-get install busybox-static)"
        : null;

    public static async Task<List<(string, string, string, string)>> RunAsync(string work, int runs, string runtime)
    {
        Directory.CreateDirectory(work);
        if (OperatingSystem.IsLinux())
        {
            System.IO.File.SetUnixFileMode(work, (UnixFileMode)0x1ED); // 0755: the container's root (uid 100000 on the host) reads the image below it.
        }

        var repo = Path.Combine(work, "restart-repo");
        Directory.CreateDirectory(Path.Combine(repo, "apps"));
        RepoGenerator.Git(repo, "init", "-q", "-b", "main");
        System.IO.File.WriteAllText(Path.Combine(repo, "policy.yaml"), """
            apiVersion: gitorch.dev/v1
            kind: ClusterPolicy
            metadata: {name: cluster}
            spec:
              security:
                exceptions:
                  - namespaces: [bench]
                    allow: ["runtime:process"]
            """);
        var name = "restart-0";
        var value = 0;
        System.IO.File.WriteAllText(Path.Combine(repo, File), Pod(name, value, runtime));
        var first = RepoGenerator.Commit(repo, $"One {runtime} pod");

        var options = new ControllerOptions
        {
            Repo = repo,
            StateDir = Path.Combine(work, "restart-controller"),
            Listen = "https://127.0.0.1:0",
            AgentListen = "https://127.0.0.1:0",
            Poll = TimeSpan.FromHours(1), // Each commit is picked up by a trigger (as a webhook does), not a poll.
            Nodes = [new NodeInfo(Node, new Dictionary<string, string>(), 4000, 4L << 30)],
        };
        await using var host = await ControllerHost.StartAsync(options, null, TimeProvider.System, CancellationToken.None);
        var agentState = Path.Combine(work, "restart-agent");
        if (runtime == "oci")
        {
            await new GitOrch.Agent.Images.ImageStore(Path.Combine(agentState, "images")).ImportAsync("busybox:1.35", GitOrch.Tests.Shared.BusyboxRootfs.Build(work), CancellationToken.None);
        }

        using (var certificate = host.Pki.IssueNodeCertificate(Node))
        {
            GitOrch.Agent.Trust.AgentIdentity.Save(agentState, host.Pki.CaPem, certificate);
        }

        await using var agent = new NodeAgent(
            new AgentOptions { Server = host.AgentAddress!, Node = Node, StateDir = agentState, CpuMillis = 4000, MemoryBytes = 4L << 30 },
            NullLoggerFactory.Instance, TimeProvider.System);
        using var stop = new CancellationTokenSource();
        var running = Task.Run(() => agent.RunAsync(stop.Token));
        var store = host.Controller.Store;
        try
        {
            host.Controller.Sync.Trigger();
            await RunningAfterAsync(store, name, first, TimeSpan.FromMinutes(2));
            await ReadyAsync(agentState, name, value);

            // Rounds alternate the two changes; the first round of each is a warm-up.
            var inPlace = new List<(TimeSpan Applied, TimeSpan Running)>();
            var recreate = new List<(TimeSpan Applied, TimeSpan Running)>();
            for (var round = 0; round <= runs; round++)
            {
                System.IO.File.WriteAllText(Path.Combine(repo, File), Pod(name, ++value, runtime));
                var time = await TimeAsync(host, store, repo, name, $"In place ({round})");
                await ReadyAsync(agentState, name, value);
                if (round > 0)
                {
                    inPlace.Add(time);
                }

                name = $"restart-{round + 1}";
                System.IO.File.WriteAllText(Path.Combine(repo, File), Pod(name, value, runtime));
                time = await TimeAsync(host, store, repo, name, $"Rename ({round})");
                await ReadyAsync(agentState, name, value);
                if (round > 0)
                {
                    recreate.Add(time);
                }
            }

            var a = Stats.Of(inPlace.Select(t => t.Running));
            var b = Stats.Of(recreate.Select(t => t.Running));
            Console.WriteLine($"restart of {(runtime == "oci" ? "an" : "a")} {runtime} pod through controller + agent: in place {a}, delete + create {b}");
            return
            [
                ($"In-place restart: commit an env change to {(runtime == "oci" ? "an" : "a")} {runtime} pod → Running again (controller, workflow, agent)", a.ToString(), "-", "-"),
                ("    of which commit → its version in the store (sync cycle, validation, durable write)", Stats.Of(inPlace.Select(t => t.Applied)).ToString(), "-", "-"),
                ("  delete + create: commit a rename of the same pod → the new pod Running (same path)", b.ToString(), "-", "-"),
                ("    of which commit → its version in the store", Stats.Of(recreate.Select(t => t.Applied)).ToString(), "-", "-"),
                ("  ratio in place / delete + create (medians)", $"{a.Median / b.Median:0.00}", "≤ 0.5", a.Median <= b.Median * 0.5 ? "met" : "missed"),
            ];
        }
        finally
        {
            using (var limit = new CancellationTokenSource(TimeSpan.FromSeconds(30)))
            {
                await agent.StopAllAsync(limit.Token);
            }

            await stop.CancelAsync();
            await running;
        }
    }

    /// <summary>
    /// Waits (outside the clock) until the pod's shell says it has set its TERM trap: a change that
    /// came sooner would find the shell before its trap, and as a container's first process it
    /// would ignore TERM and sit out its grace period, which times the race, not the restart.
    /// </summary>
    private static async Task ReadyAsync(string agentState, string pod, int value)
    {
        var log = Path.Combine(agentState, "pods", $"Pod_{Namespace}_{pod}", "main.log");
        var deadline = Stopwatch.StartNew();
        while (!(System.IO.File.Exists(log) && System.IO.File.ReadAllText(log).Contains($"ready-{value}\n", StringComparison.Ordinal)))
        {
            if (deadline.Elapsed > TimeSpan.FromSeconds(60))
            {
                throw new TimeoutException($"Pod {Namespace}/{pod} did not write ready-{value} to {log} within 60 s");
            }

            await Task.Delay(5);
        }
    }

    /// <summary>Commits what is in the work tree (outside the clock), then times trigger → the commit's version → Running.</summary>
    private static async Task<(TimeSpan Applied, TimeSpan Running)> TimeAsync(ControllerHost host, HistoryStore store, string repo, string pod, string message)
    {
        var sha = RepoGenerator.Commit(repo, message);
        var watch = Stopwatch.StartNew();
        host.Controller.Sync.Trigger();
        var applied = await RunningAfterAsync(store, pod, sha, TimeSpan.FromSeconds(60), watch);
        return (applied, watch.Elapsed);
    }

    /// <summary>
    /// Waits until a runtime report newer than commit <paramref name="sha"/>'s version of the pod says
    /// Running; returns when that version appeared on <paramref name="clock"/>.
    /// </summary>
    private static async Task<TimeSpan> RunningAfterAsync(HistoryStore store, string pod, string sha, TimeSpan within, Stopwatch? clock = null)
    {
        var obj = new ObjectRef("Pod", Namespace, pod);
        var deadline = Stopwatch.StartNew();
        TimeSpan? applied = null;
        while (deadline.Elapsed < within)
        {
            var history = store.History(obj);
            var committed = history.LastOrDefault(v => v.SourceCommit == sha && v.Changer.StartsWith("git/", StringComparison.Ordinal))?.Version;
            applied ??= committed is null ? null : clock?.Elapsed ?? TimeSpan.Zero;
            if (committed is { } version && history.Where(v => v.Version > version && v.Changer == "control-loop/runtime").Any(v => Phase(store, obj, v.Version) == "Running"))
            {
                return applied ?? TimeSpan.Zero;
            }

            await Task.Delay(2);
        }

        throw new TimeoutException($"Pod {Namespace}/{pod} did not report Running after commit {sha} within {within.TotalSeconds:0} s");
    }

    private static string? Phase(HistoryStore store, ObjectRef obj, int version)
    {
        var json = store.Version(obj, version)?.ObjectJson;
        if (json is null)
        {
            return null;
        }

        using var doc = JsonDocument.Parse(json);
        return doc.RootElement.TryGetProperty("status", out var status) && status.TryGetProperty("phase", out var phase) ? phase.GetString() : null;
    }

    private static string Pod(string name, int value, string runtime) => string.Create(CultureInfo.InvariantCulture, $$"""
        apiVersion: gitorch.dev/v1
        kind: Pod
        metadata:
          name: {{name}}
          namespace: {{Namespace}}
        spec:
          runtime: {{runtime}}
          restartPolicy: Always
          terminationGracePeriodSeconds: 5
          containers:
            - name: main
              image: busybox:1.35
              command: ["/bin/sh", "-c", "trap 'exit 0' TERM; f=$(mktemp -u); mkfifo $f; exec 3<>$f; rm $f; echo ready-{{value}}; while true; do read -t 5 x <&3; done"]
              env: {V: "{{value}}"}
              resources: {cpu: 10m, memory: 16Mi}

        """);
}
