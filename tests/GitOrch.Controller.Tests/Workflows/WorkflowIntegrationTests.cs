using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using GitOrch.Controller.Tests.Support;
using GitOrch.Core.Diagnostics;
using GitOrch.Core.Manifests;
using GitOrch.Core.Schema;
using GitOrch.History;
using GitOrch.History.Mirror;
using GitOrch.Workflow.Execution;
using GitOrch.Workflow.Model;
using Microsoft.Extensions.Logging.Abstractions;
using static GitOrch.Controller.Tests.Support.Controllers;

namespace GitOrch.Controller.Tests.Workflows;

/// <summary>
/// Control loops from Git, run by a real controller on a real temp repo: the loop is a real
/// /bin/sh script that gets the object on stdin. A good loop writes a mechanical version; a bad
/// loop fails (or times out) its step with a precise message, and the controller goes on.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class WorkflowIntegrationTests : IDisposable
{
    private const string LoopName = "nfs-mounts";

    private static readonly EngineOptions FastRetries = new() { RetryBase = TimeSpan.FromMilliseconds(10), FlushInterval = TimeSpan.FromMilliseconds(20) };

    private readonly GitRepo _repo = GitRepo.Init();
    private readonly TempDir _state = new("gitorch-state");
    private readonly TempDir _scripts = OpenToAll(new("gitorch-loops"));

    /// <summary>Loops run as uid 65534 when the tests run as root: they must reach their scripts and write their files.</summary>
    private static TempDir OpenToAll(TempDir dir)
    {
        File.SetUnixFileMode(dir.Path, (UnixFileMode)0b111_111_111);
        return dir;
    }

    public void Dispose()
    {
        _repo.Dispose();
        _state.Dispose();
        _scripts.Dispose();
    }

    private static ObjectRef Worker => PodRef("worker");

    /// <summary>A pod in demo with a volume; <paramref name="labels"/> is an inline YAML mapping.</summary>
    private static string Pod(string name, string labels = "{storage: nfs}", string greeting = "hello") => $$"""
        apiVersion: gitorch.dev/v1
        kind: Pod
        metadata:
          name: {{name}}
          namespace: demo
          labels: {{labels}}
        spec:
          containers:
            - name: main
              image: busybox:1.35
              env: {GREETING: {{greeting}}}
              resources: {cpu: 250m, memory: 64Mi}
          volumes:
            - {name: scratch, emptyDir: {} }

        """;

    /// <summary>A ControlLoop for pods labelled storage=nfs, between placement and storage.target.</summary>
    private static string Loop(string handler, int timeoutSeconds = 30, string name = LoopName, string owns = "Pod:status.volumes") => $$"""
        apiVersion: gitorch.dev/v1
        kind: ControlLoop
        metadata:
          name: {{name}}
        spec:
          description: Mounts NFS volumes (a test script)
          objectKinds: [Pod]
          selector: {namespaces: [demo], labels: {storage: nfs} }
          step: {after: [scheduled.target], before: [storage.target], timeoutSeconds: {{timeoutSeconds}}, maxAttempts: 1}
          owns: ["{{owns}}"]
          reads: ["Pod:spec.volumes", "Pod:status.nodeName"]
          {{handler}}

        """;

    private static string Exec(string script) => $"exec: {{command: [\"{script}\"]}}";

    /// <summary>Writes an executable /bin/sh script into the temp folder and returns its absolute path.</summary>
    private string Script(string name, string body)
    {
        var path = _scripts.Combine(name);
        File.WriteAllText(path, "#!/bin/sh\n" + body + "\n");
        File.SetUnixFileMode(path, (UnixFileMode)0b111_101_101);
        return path;
    }

    private Task<ControllerService> OpenAsync() =>
        ControllerService.OpenAsync(Options(_repo.Root, _state.Path, Node("node-a")), NullLoggerFactory.Instance, TimeProvider.System, CancellationToken.None, FastRetries);

    /// <summary>Waits until the pod's current transaction has a finished unit of that name, and returns it.</summary>
    private static async Task<Unit> FinishedAsync(ControllerService controller, ObjectRef pod, string unit)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (true)
        {
            if (controller.Workflows.Engine.Current(pod)?.Find(unit) is { } found && found.State.IsTerminal())
            {
                return found;
            }

            if (DateTime.UtcNow > deadline)
            {
                var current = controller.Workflows.Engine.Current(pod)?.Find(unit);
                Assert.Fail($"timed out waiting for {unit} of {pod.Display} to finish; it is {current?.State.ToText() ?? "absent"}: {current?.Message}");
            }

            await Task.Delay(20);
        }
    }

    private static IReadOnlyList<string> LogsOf(ControllerService controller, ObjectRef pod, string step) =>
        controller.Workflows.Engine.Logs(pod).Where(l => l.Step == step).Select(l => $"{l.Level} {l.Message}").ToList();

    private static JsonObject Stored(ControllerService controller, ObjectRef pod) => ManifestJson.Parse(controller.Store.Get(pod)!.ObjectJson);

    /// <summary>Commits the worker pod and a loop with this handler, syncs, and returns the loop's finished step.</summary>
    private async Task<(ControllerService Controller, Unit Step)> RunLoopAsync(string handler, int timeoutSeconds = 30, string owns = "Pod:status.volumes")
    {
        _repo.Write("apps/worker.yaml", Pod("worker")).Write("cluster/loop.yaml", Loop(handler, timeoutSeconds, owns: owns));
        var commit = _repo.Commit("Worker with an NFS loop");
        var controller = await OpenAsync();
        try
        {
            await controller.SyncAsync();
            Assert.Equal(commit, controller.Reconciler.LastApplied);
            return (controller, await FinishedAsync(controller, Worker, LoopName));
        }
        catch
        {
            await controller.DisposeAsync();
            throw;
        }
    }

    // ---- a good loop -------------------------------------------------------------------------

    [AsRootFact]
    public async Task AnExecLoopFromGit_RunsAsNobody_WithoutTheControllersEnvironment()
    {
        Environment.SetEnvironmentVariable("GITHUB_TOKEN", "ghp_controller_secret");
        try
        {
            var script = Script("who.sh", """cat > /dev/null; printf '{"message": "uid %s gid %s token %s"}' "$(id -u)" "$(id -g)" "${GITHUB_TOKEN:-none}" """);

            var (controller, step) = await RunLoopAsync(Exec(script));
            await using var _ = controller;

            Assert.Equal((UnitState.Done, "uid 65534 gid 65534 token none"), (step.State, step.Message));
        }
        finally
        {
            Environment.SetEnvironmentVariable("GITHUB_TOKEN", null);
        }
    }

    [AsRootFact]
    public async Task AnExecLoop_RunsAsRoot_OnlyWithItsSecurityBlockAndALoopsException()
    {
        _repo.Write("cluster/policy.yaml", """
            apiVersion: gitorch.dev/v1
            kind: ClusterPolicy
            metadata: {name: cluster}
            spec:
              security:
                exceptions:
                  - {loops: [nfs-mounts], allow: [runAsRoot]}
            """);
        var script = Script("root.sh", """cat > /dev/null; printf '{"message": "uid %s"}' "$(id -u)" """);

        var (controller, step) = await RunLoopAsync(Exec(script) + "\n  security: {runAsUser: 0}");
        await using var _ = controller;

        Assert.Equal((UnitState.Done, "uid 0"), (step.State, step.Message));
    }

    [Fact]
    public async Task AnExecLoopFromGit_SetsItsField_AsAMechanicalVersionByTheLoop()
    {
        var script = Script("mount.sh", """
            cat > /dev/null
            echo "mounting for $GITORCH_OBJECT" >&2
            printf '{"set": {"status.volumes": [{"name": "scratch", "ready": true}]}, "message": "mounted scratch"}'
            """);

        var (controller, step) = await RunLoopAsync(Exec(script));
        await using var _ = controller;

        Assert.Equal((UnitState.Done, "mounted scratch"), (step.State, step.Message));
        var version = Assert.Single(controller.Store.History(Worker, changer: "control-loop/" + LoopName));
        Assert.Equal(ChangeKind.Mechanical, version.Kind);
        Assert.Equal(["status.volumes"], version.Fields);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""[{"name": "scratch", "ready": true}]"""), Stored(controller, Worker).SelectPath("status.volumes")));
        Assert.Equal("control-loop/scheduler", controller.Store.History(Worker).Single(v => v.Fields.Contains("status.nodeName")).Changer);
        Assert.Contains("info mounting for Pod/demo/worker", LogsOf(controller, Worker, LoopName));

        // The next cycle mirrors the loop's change as its own commit, with the design's trailers.
        await controller.SyncAsync();
        var mirrored = _repo.Git("log", "-1", "--format=%B", "--grep=^Changer: control-loop/" + LoopName, HistoryMirror.Ref);
        Assert.StartsWith($"{LoopName}: Pod/demo/worker mounted scratch\n", mirrored, StringComparison.Ordinal);
        Assert.Contains("\nChange-Kind: mechanical\n", mirrored, StringComparison.Ordinal);
        Assert.Contains("\nFields: status.volumes\n", mirrored, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnExecLoop_SeesOnlyMetadataAndTheFieldsItReads()
    {
        var input = _scripts.Combine("stdin.json");
        var script = Script("dump.sh", $$"""
            cat > '{{input}}'
            printf '{"message": "looked"}'
            """);

        var (controller, step) = await RunLoopAsync(Exec(script));
        await using var _ = controller;

        Assert.Equal((UnitState.Done, "looked"), (step.State, step.Message));
        var seen = ManifestJson.Parse(await File.ReadAllTextAsync(input));
        Assert.Equal(["apiVersion", "kind", "metadata", "spec", "status"], seen.Select(p => p.Key).Order(StringComparer.Ordinal));
        Assert.Equal("worker", (string?)seen.SelectPath("metadata.name"));
        Assert.Equal("nfs", (string?)seen.SelectPath("metadata.labels.storage"));
        Assert.Equal(["volumes"], ((JsonObject)seen["spec"]!).Select(p => p.Key));
        Assert.Null(seen.SelectPath("spec.containers"));
        Assert.Equal("scratch", (string?)seen.SelectPath("spec.volumes[0].name"));
        Assert.Equal(["nodeName"], ((JsonObject)seen["status"]!).Select(p => p.Key));
        Assert.Equal("node-a", (string?)seen.SelectPath("status.nodeName"));
    }

    // ---- bad loops ---------------------------------------------------------------------------

    [Fact]
    public async Task ALoopThatPrintsInvalidJson_FailsItsStep_SayingSo()
    {
        var script = Script("chatty.sh", "cat > /dev/null; echo 'volumes mounted'");

        var (controller, step) = await RunLoopAsync(Exec(script));
        await using var _ = controller;

        Assert.Equal(UnitState.Failed, step.State);
        Assert.StartsWith($"{script} answered with invalid JSON (", step.Message, StringComparison.Ordinal);
        Assert.EndsWith("): volumes mounted", step.Message, StringComparison.Ordinal);
        Assert.Empty(controller.Store.History(Worker, changer: "control-loop/" + LoopName));
    }

    [Theory]
    [InlineData("1e12")] // Past what a TimeSpan holds.
    [InlineData("5000000")] // Past what a timer can be armed for (about 49.7 days).
    public async Task ALoopThatAsksToWaitForAges_WaitsADay_AndTheEngineGoesOn(string seconds)
    {
        var script = Script("later.sh", $$"""cat > /dev/null; printf '{"message": "not before the heat death", "requeueAfterSeconds": {{seconds}}}'""");
        _repo.Write("apps/worker.yaml", Pod("worker")).Write("cluster/loop.yaml", Loop(Exec(script), 30, owns: "Pod:status.volumes"));
        _repo.Commit("Worker with a slow loop");
        await using var controller = await OpenAsync();
        await controller.SyncAsync();

        Unit? Step() => controller.Workflows.Engine.Current(Worker)?.Find(LoopName);
        await UntilAsync(() => Step() is { State: UnitState.Waiting, NextAttemptAt: not null }, "the loop's step waits");

        var step = Step()!;
        Assert.Equal("not before the heat death", step.Message);
        var wait = step.NextAttemptAt!.Value - DateTimeOffset.UtcNow;
        Assert.InRange(wait, TimeSpan.FromDays(1) - TimeSpan.FromMinutes(1), TimeSpan.FromDays(1));

        // The engine still runs everything else: a new commit's steps finish.
        _repo.Write("apps/other.yaml", Pod("other", labels: "{app: other}"));
        _repo.Commit("Another pod");
        await controller.SyncAsync();
        Assert.Equal(UnitState.Done, (await FinishedAsync(controller, PodRef("other"), "scheduler")).State);
    }

    [Fact]
    public async Task AFailedWorkflow_IsStartedAgainByRetry_AndOnlyAFailedOne()
    {
        var ready = _scripts.Combine("nfs-ready");
        var script = Script("flaky.sh", $"cat > /dev/null; if [ -e '{ready}' ]; then printf '{{\"message\": \"mounted\"}}'; else echo 'nfs.example: not ready' >&2; exit 3; fi");
        var (controller, step) = await RunLoopAsync(Exec(script));
        await using var _ = controller;
        Assert.Equal((UnitState.Failed, $"{script} exited with code 3: nfs.example: not ready"), (step.State, step.Message));
        var failed = controller.Workflows.Engine.Current(Worker)!.Id;

        await File.WriteAllTextAsync(ready, string.Empty);
        var retried = controller.Retry(Worker);

        var again = controller.Workflows.Engine.Current(Worker)!;
        Assert.StartsWith($"retrying Pod demo/worker: transaction {again.Id} replaces transaction {failed}, where ", retried, StringComparison.Ordinal);
        Assert.Contains(LoopName, retried!, StringComparison.Ordinal);
        Assert.Equal((UnitState.Done, "mounted"), ((await FinishedAsync(controller, Worker, LoopName)).State, again.Find(LoopName)!.Message));
        Assert.Null(controller.Retry(Worker)); // Not failed: nothing to retry.
    }

    [Fact]
    public async Task ALoopThatExitsNonZero_FailsItsStep_WithTheExitCodeAndLastStderrLine_AndItsStderrInTheLogs()
    {
        var script = Script("denied.sh", "cat > /dev/null; echo 'nfs.example: permission denied' >&2; exit 3");

        var (controller, step) = await RunLoopAsync(Exec(script));
        await using var _ = controller;

        Assert.Equal((UnitState.Failed, $"{script} exited with code 3: nfs.example: permission denied"), (step.State, step.Message));
        Assert.Equal(["info nfs.example: permission denied", $"error failed: {script} exited with code 3: nfs.example: permission denied"], LogsOf(controller, Worker, LoopName));
    }

    [Fact]
    public async Task ALoopThatHangsPastItsTimeout_TimesOut_IsKilled_AndTheControllerGoesOn()
    {
        var pidFile = _scripts.Combine("pid");
        var script = Script("hang.sh", $"echo $$ > '{pidFile}'; exec sleep 60");

        var (controller, step) = await RunLoopAsync(Exec(script), timeoutSeconds: 1);
        await using var _ = controller;

        Assert.Equal((UnitState.TimedOut, "did not finish within 1s (timeoutSeconds); the attempt was cancelled"), (step.State, step.Message));
        var pid = int.Parse((await File.ReadAllTextAsync(pidFile)).Trim(), System.Globalization.CultureInfo.InvariantCulture);
        await UntilAsync(() => !IsRunning(pid), $"the hanging loop's process {pid} is killed");

        // The controller is not stuck: the next commit applies and gets a new transaction.
        var first = controller.Workflows.Engine.Current(Worker)!.Id;
        _repo.Write("apps/worker.yaml", Pod("worker", greeting: "again"));
        var again = _repo.Commit("Greet again");
        await controller.SyncAsync();
        Assert.Equal(again, controller.Reconciler.LastApplied);
        var next = controller.Workflows.Engine.Current(Worker)!;
        Assert.True(next.Id > first, "a new transaction for the changed pod");
        Assert.Equal(again, next.Commit);
    }

    [Fact]
    public async Task ALoopThatWritesTheSchedulersField_FailsItsStep_NamingTheFieldAndItsOwner()
    {
        var script = Script("steal.sh", """cat > /dev/null; printf '{"set": {"status.nodeName": "node-b"}}'""");

        var (controller, step) = await RunLoopAsync(Exec(script));
        await using var _ = controller;

        Assert.Equal(UnitState.Failed, step.State);
        Assert.Matches(
            @"^admission refused the answer: objects/Pod/demo/worker\.yaml:\d+:\d+: error GO3008: Pod demo/worker: control-loop/nfs-mounts tried to set status\.nodeName, which it does not own \(control loop scheduler owns it\); it owns only \[Pod:status\.volumes\]$",
            step.Message);
        Assert.Equal("node-a", (string?)Stored(controller, Worker).SelectPath("status.nodeName"));
        Assert.Empty(controller.Store.History(Worker, changer: "control-loop/" + LoopName));
    }

    [Fact]
    public async Task ALoopThatWritesAGitField_FailsItsStep_SayingTheFieldBelongsToGit()
    {
        var script = Script("respec.sh", """cat > /dev/null; printf '{"set": {"status.volumes": [], "spec.nodeSelector": {"zone": "b"}}}'""");

        var (controller, step) = await RunLoopAsync(Exec(script));
        await using var _ = controller;

        Assert.Equal(UnitState.Failed, step.State);
        Assert.Matches(
            @"^admission refused the answer: objects/Pod/demo/worker\.yaml:\d+:\d+: error GO3008: Pod demo/worker: control-loop/nfs-mounts tried to set spec\.nodeSelector\.zone, which it does not own \(no control loop owns it: it belongs to Git\); it owns only \[Pod:status\.volumes\]$",
            step.Message);
        var stored = Stored(controller, Worker);
        Assert.Null(stored.SelectPath("spec.nodeSelector"));
        Assert.Null(stored.SelectPath("status.volumes"));
    }

    /// <summary>(what the loop answers, the weakening admission names).</summary>
    public static TheoryData<string, string> Weakenings => new()
    {
        { "\"spec.security.runAsUser\": 0", "runAsRoot" },
        { "\"spec.security.hostPID\": true", "hostPID" },
        { "\"spec.security.capabilities\": [\"SYS_ADMIN\"]", "capability:SYS_ADMIN" },
    };

    [Theory]
    [MemberData(nameof(Weakenings))]
    public async Task ALoopThatOwnsSpecSecurity_CannotWeakenTheSandbox_WithoutAnException(string set, string exception)
    {
        var script = Script("root.sh", "cat > /dev/null; printf '{\"set\": {" + set + "}}'");

        var (controller, step) = await RunLoopAsync(Exec(script), owns: "Pod:spec.security");
        await using var _ = controller;

        Assert.Equal(UnitState.Failed, step.State);
        Assert.Matches(@"^admission refused the answer: objects/Pod/demo/worker\.yaml:\d+:\d+: error GO2001: Pod demo/worker: spec\.security\.", step.Message);
        Assert.Contains($"needs a ClusterPolicy exception \"{exception}\" for namespace demo", step.Message, StringComparison.Ordinal);
        Assert.Null(Stored(controller, Worker).SelectPath("spec.security"));
        Assert.Empty(controller.Store.History(Worker, changer: "control-loop/" + LoopName));
    }

    [Fact]
    public async Task ALoopThatWritesSpecSecurity_WithoutOwningIt_IsRefused()
    {
        var script = Script("root.sh", """cat > /dev/null; printf '{"set": {"spec.security.runAsUser": 0}}'""");

        var (controller, step) = await RunLoopAsync(Exec(script));
        await using var _ = controller;

        Assert.Equal(UnitState.Failed, step.State);
        Assert.Contains("error GO3008: Pod demo/worker: control-loop/nfs-mounts tried to set spec.security", step.Message, StringComparison.Ordinal);
        Assert.Null(Stored(controller, Worker).SelectPath("spec.security"));
    }

    [Fact]
    public async Task AnHttpLoopWhoseServerIsDown_FailsItsStep_NamingTheUrl()
    {
        int port;
        using (var listener = new TcpListener(IPAddress.Loopback, 0))
        {
            listener.Start();
            port = ((IPEndPoint)listener.LocalEndpoint).Port;
            listener.Stop();
        }

        var url = $"http://127.0.0.1:{port}/step";

        var (controller, step) = await RunLoopAsync($"http: {{url: \"{url}\"}}");
        await using var _ = controller;

        Assert.Equal((UnitState.Failed, $"cannot reach {url} (ConnectionRefused); is the loop's server running?"), (step.State, step.Message));
    }

    // ---- replanning --------------------------------------------------------------------------

    [Fact]
    public async Task AddingAControlLoopLater_ReplansOnlyThePodsItSelects()
    {
        _repo.Write("apps/worker.yaml", Pod("worker")).Write("apps/other.yaml", Pod("other", labels: "{storage: local}"));
        _repo.Commit("Two pods");
        await using var controller = await OpenAsync();
        await controller.SyncAsync();
        var workerBefore = controller.Workflows.Engine.Current(Worker)!;
        var otherBefore = controller.Workflows.Engine.Current(PodRef("other"))!;
        Assert.Null(workerBefore.Find(LoopName));

        var script = Script("mount.sh", """cat > /dev/null; printf '{"set": {"status.volumes": []}, "message": "mounted nothing"}'""");
        _repo.Write("cluster/loop.yaml", Loop(Exec(script)));
        var added = _repo.Commit("Add the NFS loop");
        await controller.SyncAsync();

        var workerAfter = controller.Workflows.Engine.Current(Worker)!;
        Assert.True(workerAfter.Id > workerBefore.Id, "the selected pod gets a new transaction");
        Assert.Equal(added, workerAfter.Commit);
        Assert.Equal(
            workerBefore.Units.Select(u => u.Name).Append(LoopName).Order(StringComparer.Ordinal),
            workerAfter.Units.Select(u => u.Name).Order(StringComparer.Ordinal));
        Assert.Equal(otherBefore.Id, controller.Workflows.Engine.Current(PodRef("other"))!.Id);
        Assert.Null(controller.Workflows.Engine.Current(PodRef("other"))!.Find(LoopName));

        var step = await FinishedAsync(controller, Worker, LoopName);
        Assert.Equal((UnitState.Done, "mounted nothing"), (step.State, step.Message));
        Assert.Equal(["status.volumes"], controller.Store.History(Worker, changer: "control-loop/" + LoopName).Single().Fields);
    }

    // ---- helpers -----------------------------------------------------------------------------

    private static bool IsRunning(int pid)
    {
        string stat;
        try
        {
            stat = File.ReadAllText($"/proc/{pid}/stat");
        }
        catch (IOException)
        {
            return false;
        }

        var state = stat[(stat.LastIndexOf(')') + 2)..][0];
        return state is not ('Z' or 'X');
    }
}
