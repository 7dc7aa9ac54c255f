using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using GitOrch.Controller.Agents;
using GitOrch.Core.AgentApi;
using GitOrch.Core.Manifests;
using GitOrch.Core.Ownership;
using GitOrch.Workflow.Loops;
using GitOrch.Workflow.Planning;

namespace GitOrch.Controller.Loops;

/// <summary>
/// The built-in <c>runtime</c> loop: programs the pod on its node (through the agent API) and
/// waits until the node reports it running that exact definition. A new definition (image,
/// command, args, env, ports) is a new generation, which the agent applies by restarting the pod
/// in place. Writes <c>status.phase</c> and <c>status.containers</c>.
/// </summary>
public sealed class Runtime(AgentGateway agents, TimeProvider time) : IBuiltInLoop
{
    public static readonly TimeSpan Poll = TimeSpan.FromSeconds(1);

    /// <summary>
    /// How long every container of a Running pod must have been up before the step is done. A
    /// container that exits at once is reported Running for a moment; were the step done then, a
    /// crash loop would leave nothing blocking the pod in <c>why</c>. The phase is Running at once.
    /// A node reports a pod's change at once (within its 10 ms gather, not at its next 2 s heartbeat),
    /// so a container that crashes at its start has been reported long before the grace ends.
    /// </summary>
    public static readonly TimeSpan StartupGrace = TimeSpan.FromSeconds(2);

    public string Name => BuiltInLoops.Runtime;

    public ValueTask<LoopAnswer> RunAsync(BuiltInStep step, CancellationToken ct)
    {
        var status = step.Object["status"] as JsonObject ?? [];
        var node = status["nodeName"]?.ToString()
            ?? throw new LoopCallException("the pod has no node yet (status.nodeName); the scheduler step must run first");
        var assignment = Assignment(step.Ref.Key, step.Object);
        if (agents.NodeOf(assignment.Pod) is { } previous && previous != node)
        {
            agents.Unassign(previous, assignment.Pod); // Moved: the old node stops it.
        }

        agents.Assign(node, assignment);
        var report = agents.Report(node, assignment.Pod);
        if (step.Invocation.Unit.Name.StartsWith(TransactionPlanner.InitStepPrefix, StringComparison.Ordinal))
        {
            return ValueTask.FromResult(InitStep(step, node, assignment, report, status));
        }

        if (report is not null && report.Generation == assignment.Generation)
        {
            var containers = ContainersJson(report.Containers);
            switch (report.Phase)
            {
                case "Running" when Settling(report) is { } settle:
                    return ValueTask.FromResult(Starting(node, status, report, containers, settle));
                case "Running":
                case "Succeeded":
                    return ValueTask.FromResult(BuiltInStep.Set(
                        $"{report.Phase.ToLowerInvariant()} on {node}{(report.Restarts > 0 ? $" after {report.Restarts} restart(s)" : string.Empty)}",
                        ("status.phase", report.Phase), ("status.containers", containers), ("status.restarts", report.Restarts)));
                case "Failed":
                    throw new LoopCallException($"node {node} could not run the pod: {report.Message}");
                case "CrashLoop":
                    return ValueTask.FromResult(CrashLoop(node, status, report, containers));
            }
        }

        var seen = agents.LastSeen(node);
        var waiting = seen is null
            ? $"waiting for node {node}'s agent, which has not connected since the controller started"
            : report is null || report.Generation != assignment.Generation
                ? $"waiting for node {node} to start this definition (generation {assignment.Generation}; agent last seen {(time.GetUtcNow() - seen.Value).TotalSeconds:0}s ago)"
                : $"node {node} reports {report.Phase}: {report.Message}";
        return ValueTask.FromResult(status["phase"]?.ToString() == "Pending"
            ? BuiltInStep.Requeue(Poll, waiting)
            : new LoopAnswer(new Dictionary<string, JsonNode?> { ["status.phase"] = "Pending" }, waiting, Poll.TotalSeconds));
    }

    /// <summary>
    /// The step of one init container. The node's agent runs the init containers by itself (in order,
    /// with backoff, also with no controller); the step watches its report for this generation: done
    /// when the container exited 0, still waiting while it runs or waits in its backoff (phase Pending
    /// or CrashLoop), failed when the agent gave up on it (restartPolicy Never).
    /// </summary>
    private LoopAnswer InitStep(BuiltInStep step, string node, PodAssignment assignment, PodReport? report, JsonObject status)
    {
        var name = step.Invocation.Unit.Name[TransactionPlanner.InitStepPrefix.Length..];
        var init = report is not null && report.Generation == assignment.Generation ? report.InitContainers?.FirstOrDefault(i => i.Name == name) : null;
        if (init is null)
        {
            var seen = agents.LastSeen(node);
            var waiting = seen is null
                ? $"waiting for node {node}'s agent, which has not connected since the controller started"
                : $"waiting for node {node} to start this definition (generation {assignment.Generation}; agent last seen {(time.GetUtcNow() - seen.Value).TotalSeconds:0}s ago)";
            return status["phase"]?.ToString() == "Pending"
                ? BuiltInStep.Requeue(Poll, waiting)
                : new LoopAnswer(new Dictionary<string, JsonNode?> { ["status.phase"] = "Pending" }, waiting, Poll.TotalSeconds);
        }

        var output = init.LastLines.Count > 0 ? "; last output:\n  " + string.Join("\n  ", init.LastLines) : string.Empty;
        var exit = init.ExitCode is { } code ? $"exit code {code}" : "no exit code yet";
        var started = init.StartedAt is { } at ? $"started {at:HH:mm:ss}" : "not started";
        var took = init is { StartedAt: { } s, FinishedAt: { } f } ? $", took {(f - s).TotalSeconds:0.###}s" : string.Empty;
        var summary = $"init container {name} on {node}: {init.State}, attempt {init.Attempts}, {started}{took}, {exit}";
        switch (init.State)
        {
            case "done":
                return BuiltInStep.Set(summary + output, ("status.initContainers", InitContainersJson(report!.InitContainers!)));
            case "failed":
                throw new LoopCallException($"{summary}: {init.Message}{output}");
            default:
                var phase = init.State == "retrying" ? "CrashLoop" : "Pending";
                var message = init.State == "retrying" ? $"{summary}; {init.Message}{output}" : summary + output;
                return new LoopAnswer(
                    new Dictionary<string, JsonNode?> { ["status.phase"] = phase, ["status.initContainers"] = InitContainersJson(report!.InitContainers!) },
                    message, Poll.TotalSeconds);
        }
    }

    /// <summary>Init container reports as JSON for status.initContainers (times as ISO 8601 text).</summary>
    public static JsonArray InitContainersJson(IReadOnlyList<InitContainerReport> inits)
    {
        return (JsonArray)ManifestJson.ParseToken(JsonSerializer.Serialize(inits, Json))!;
    }

    /// <summary>Running, not yet for <see cref="StartupGrace"/>: the phase says so at once (fields written only when they change), the step looks again when the grace ends.</summary>
    private static LoopAnswer Starting(string node, JsonObject status, PodReport report, JsonArray containers, TimeSpan settle)
    {
        var fields = new Dictionary<string, JsonNode?>();
        if (status["phase"]?.ToString() != "Running")
        {
            fields["status.phase"] = "Running";
        }

        if (!JsonNode.DeepEquals(status["containers"], containers))
        {
            fields["status.containers"] = containers;
        }

        if (status["restarts"].AsInteger() != report.Restarts)
        {
            fields["status.restarts"] = report.Restarts;
        }

        return new LoopAnswer(fields, $"running on {node}; done once its containers have stayed up {StartupGrace.TotalSeconds:0}s", Math.Max(0.1, settle.TotalSeconds));
    }

    /// <summary>
    /// How much longer the youngest container must stay up (null: long enough). The start times are
    /// the node's clock; one that reads as later than the controller's (a node's clock ahead) counts
    /// as long enough, so a skewed clock never holds the step.
    /// </summary>
    private TimeSpan? Settling(PodReport report)
    {
        var started = report.Containers.Where(c => c.StartedAt is not null).Select(c => c.StartedAt!.Value).ToList();
        if (started.Count == 0)
        {
            return null;
        }

        var up = time.GetUtcNow() - started.Max();
        return up >= TimeSpan.Zero && up < StartupGrace ? StartupGrace - up : null;
    }

    /// <summary>
    /// A container exited unexpectedly and waits in its restart backoff: the pod's phase says so,
    /// status.containers carries exit code, restarts, next attempt and last output, and the step
    /// keeps waiting (the node restarts the container; the pod becomes Running when it stays up).
    /// The message has no countdown in it, so repeated polls of one crash read the same.
    /// </summary>
    private static LoopAnswer CrashLoop(string node, JsonObject status, PodReport report, JsonArray containers)
    {
        var message = $"crash loop on {node}: {report.Message}";
        var fields = new Dictionary<string, JsonNode?>();
        if (status["phase"]?.ToString() != "CrashLoop")
        {
            fields["status.phase"] = "CrashLoop";
        }

        if (!JsonNode.DeepEquals(status["containers"], containers))
        {
            fields["status.containers"] = containers;
        }

        if (status["restarts"].AsInteger() != report.Restarts)
        {
            fields["status.restarts"] = report.Restarts;
        }

        return new LoopAnswer(fields, message, Poll.TotalSeconds);
    }

    /// <summary>The pod's definition for its node, with a generation that changes when anything the node runs changes.</summary>
    public static PodAssignment Assignment(string pod, JsonObject obj)
    {
        var spec = obj["spec"]!;
        var status = obj["status"];
        var ports = (status?["ports"] as JsonObject)?.ToDictionary(p => p.Key, p => (int)p.Value!) ?? [];
        var podIp = status?["podIP"]?.ToString();
        var canonical = new JsonObject { ["spec"] = spec.DeepClone(), ["podIP"] = podIp, ["ports"] = ManifestJson.ObjectOf(ports) }.Write();
        var generation = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(canonical)))[..16];
        var grace = spec.Bind<PodSpec>()?.TerminationGracePeriodSeconds ?? 30;
        return new PodAssignment(pod, generation, JsonDocument.Parse(spec.Write()).RootElement.Clone(), podIp, ports, grace);
    }

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>Container reports as JSON for status, with times kept as ISO 8601 text (not re-parsed as dates).</summary>
    public static JsonArray ContainersJson(IReadOnlyList<ContainerReport> containers)
    {
        return (JsonArray)ManifestJson.ParseToken(JsonSerializer.Serialize(containers, Json))!;
    }
}
