using System.Net.Http.Json;
using System.Text.Json;
using GitOrch.Agent.Tests.Support;

namespace GitOrch.Agent.Tests;

/// <summary>
/// Init containers through the whole path: a commit, the controller's workflow with one step per
/// init container (between storage.target and the runtime step), a real agent that runs them as
/// processes, and the state, exit code and last output lines back in the step, status and phase.
/// </summary>
public sealed class NodeAgentInitContainerTests : IAsyncLifetime
{
    private readonly ClusterScope _cluster = new();
    private HttpClient _http = null!;
    private string _shared = string.Empty;

    public Task InitializeAsync()
    {
        _shared = _cluster.AgentState.WorldWritable("shared");
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        _http?.Dispose();
        await _cluster.DisposeAsync();
    }

    private string PodYaml(string restartPolicy, string main, params (string Name, string Script)[] inits)
    {
        string Container(string name, string script) =>
            $"    - name: {name}\n      command: [\"/bin/sh\", \"-c\", {JsonSerializer.Serialize($"{script} # {_cluster.Marker}")}]\n";
        return $"""
            apiVersion: gitorch.dev/v1
            kind: Pod
            metadata: {"{"}name: worker, namespace: demo{"}"}
            spec:
              runtime: process
              restartPolicy: {restartPolicy}
              terminationGracePeriodSeconds: 1
              initContainers:
            {string.Concat(inits.Select(i => Container(i.Name, i.Script)))}  containers:
            {Container("main", main)}
            ---
            apiVersion: gitorch.dev/v1
            kind: ClusterPolicy
            metadata: {"{"}name: cluster{"}"}
            spec:
              security:
                exceptions:
                  - namespaces: [demo]
                    allow: ["runtime:process"]

            """;
    }

    private async Task StartAsync(string yaml)
    {
        _cluster.Repo.Write("apps/worker.yaml", yaml);
        _cluster.Repo.Commit("A pod with init containers");
        var host = await _cluster.StartControllerAsync();
        _http = host.AdminCredentials.CreateHttpClient(TimeSpan.FromSeconds(10));
        _cluster.StartAgent();
    }

    private async Task<JsonElement> WhyAsync()
    {
        using var response = await _http.GetAsync($"{_cluster.Api}/api/v1/objects/Pod/worker/workflow?namespace=demo");
        return response.IsSuccessStatusCode ? (await response.Content.ReadFromJsonAsync<JsonElement>()).Clone() : default;
    }

    private static JsonElement Unit(JsonElement why, string name) =>
        why.GetProperty("workflow").GetProperty("units").EnumerateArray().Single(u => u.GetProperty("name").GetString() == name);

    private static string? Str(JsonElement e, string property) => e.TryGetProperty(property, out var p) && p.ValueKind == JsonValueKind.String ? p.GetString() : null;

    [Fact]
    public async Task EachInitContainer_IsAStepOfThePodsWorkflow_RunInOrder_BeforeTheRuntimeStartsTheContainer()
    {
        await StartAsync(PodYaml("Always", $"cat {_shared}/first; echo main; sleep 300",
            ("first", $"echo one > {_shared}/first; echo first-says-hello"),
            ("second", $"test -f {_shared}/first || exit 9; echo second-says-hello")));

        var why = await Eventually.UntilAsync(WhyAsync, w => w.ValueKind == JsonValueKind.Object && Str(w, "phase") == "Running" && Str(w.GetProperty("workflow"), "state") == "done",
            "the pod's workflow to finish with the pod Running");

        var first = Unit(why, "init:first");
        var second = Unit(why, "init:second");
        var runtime = Unit(why, "runtime");
        Assert.Equal(("step", "runtime", "done"), (Str(first, "type"), Str(first, "owner"), Str(first, "state")));
        Assert.Equal(["network.target", "storage.target"], first.GetProperty("after").EnumerateArray().Select(a => a.GetString()));
        Assert.Equal(["init:first"], second.GetProperty("after").EnumerateArray().Select(a => a.GetString()));
        Assert.Contains("init:second", runtime.GetProperty("after").EnumerateArray().Select(a => a.GetString()));
        Assert.Contains("init:second", runtime.GetProperty("requires").EnumerateArray().Select(a => a.GetString()));
        Assert.Matches(@"^init container first on node-a: done, attempt 1, started \d\d:\d\d:\d\d, took [0-9.]+s, exit code 0; last output:\n  first-says-hello$", Str(first, "message"));
        Assert.True(first.GetProperty("endedAt").GetDateTimeOffset() <= second.GetProperty("startedAt").GetDateTimeOffset());
        Assert.True(second.GetProperty("endedAt").GetDateTimeOffset() <= runtime.GetProperty("endedAt").GetDateTimeOffset());

        var pod = (await _cluster.PodAsync("worker", "demo"))!.Value;
        var inits = pod.GetProperty("status").GetProperty("initContainers").EnumerateArray().ToList();
        Assert.Equal([("first", "done", 0), ("second", "done", 0)], inits.Select(i => (Str(i, "name"), Str(i, "state"), i.GetProperty("exitCode").GetInt32())));
    }

    [Fact]
    public async Task AFailingInitContainer_BlocksThePodInCrashLoop_AndWhyShowsItsStepWithExitCodeAndOutput()
    {
        await StartAsync(PodYaml("Always", "echo main; sleep 300", ("migrate", "echo connecting to db.example; echo connection refused; exit 3")));

        var why = await Eventually.UntilAsync(WhyAsync,
            w => w.ValueKind == JsonValueKind.Object && Str(w, "phase") == "CrashLoop" && Str(Unit(w, "init:migrate"), "message")?.Contains("retrying", StringComparison.Ordinal) == true,
            "the pod to be in CrashLoop on its init container");

        var blocking = why.GetProperty("workflow").GetProperty("blocking");
        Assert.Equal("init:migrate", Str(blocking, "name"));
        Assert.Equal("waiting", Str(blocking, "state"));
        var message = Str(blocking, "message")!;
        Assert.Contains("init container migrate on node-a: retrying, attempt ", message, StringComparison.Ordinal);
        Assert.Contains("exit code 3; init container migrate exited with code 3; running it again in ", message, StringComparison.Ordinal);
        Assert.EndsWith("last output:\n  connecting to db.example\n  connection refused", message, StringComparison.Ordinal);
        Assert.Equal("waiting", Str(Unit(why, "runtime"), "state"));
        Assert.False(why.GetProperty("running").GetBoolean());

        // `gitorch get pods` reads this listing: the phase and the init step it waits on. The node
        // runs the init container again when its backoff ends, and the pod is Pending while it runs,
        // so the listing is read until it shows a backoff again.
        await Eventually.UntilAsync(
            async () => (await _http.GetFromJsonAsync<JsonElement>($"{_cluster.Api}/api/v1/objects?kind=Pod&namespace=demo")).EnumerateArray().Single(),
            l => (Str(l, "phase"), Str(l, "initStep")) == ("CrashLoop", "init:migrate"),
            "the listing to show the pod in CrashLoop on init:migrate");
    }

    [Fact]
    public async Task WhileAnInitContainerRuns_ThePodIsListedPending_WithItsInitStep()
    {
        await StartAsync(PodYaml("Always", "echo main; sleep 300", ("wait", $"while ! test -f {_shared}/go; do sleep 0.1; done")));

        var listed = await Eventually.UntilAsync(
            async () => (await _http.GetFromJsonAsync<JsonElement>($"{_cluster.Api}/api/v1/objects?kind=Pod&namespace=demo")).EnumerateArray().SingleOrDefault(),
            l => l.ValueKind == JsonValueKind.Object && Str(l, "initStep") is not null,
            "the listing to name the init step");

        Assert.Equal(("Pending", "init:wait"), (Str(listed, "phase"), Str(listed, "initStep")));
        await File.WriteAllTextAsync($"{_shared}/go", "go");
        var running = await Eventually.UntilAsync(
            async () => (await _http.GetFromJsonAsync<JsonElement>($"{_cluster.Api}/api/v1/objects?kind=Pod&namespace=demo")).EnumerateArray().Single(),
            l => Str(l, "phase") == "Running", "the pod to run");
        Assert.Null(Str(running, "initStep"));
    }

    [Fact]
    public async Task AFailingInitContainer_UnderRestartPolicyNever_FailsItsStepAndThePod()
    {
        await StartAsync(PodYaml("Never", "echo main; sleep 300", ("migrate", "echo schema version 7 is newer than this binary; exit 4")));

        // The engine marks the steps after a failed one as it runs them, a moment after the failure.
        var why = await Eventually.UntilAsync(WhyAsync,
            w => w.ValueKind == JsonValueKind.Object && Str(w, "phase") == "Failed" && Str(Unit(w, "init:migrate"), "state") == "failed"
                && Str(Unit(w, "runtime"), "state") != "waiting",
            "the pod and its init step to fail, and the runtime step to be marked");

        var step = Unit(why, "init:migrate");
        Assert.Contains("exit code 4: init container migrate exited with code 4 (restartPolicy Never: the pod fails); last output:\n  schema version 7 is newer than this binary",
            Str(step, "message"), StringComparison.Ordinal);
        Assert.Equal("dependency-failed", Str(Unit(why, "runtime"), "state"));
        Assert.Equal("init:migrate", Str(why.GetProperty("workflow").GetProperty("blocking"), "name"));
    }
}
