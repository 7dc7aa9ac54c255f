using System.Text.Json.Nodes;
using GitOrch.Core.AgentApi;
using GitOrch.Core.Diagnostics;
using GitOrch.History.Store;
using Microsoft.Extensions.Logging;

namespace GitOrch.Controller.Agents;

/// <summary>
/// Status flows back from the nodes: a pod report becomes the runtime loop's write of
/// <c>status.phase</c>, <c>status.restarts</c> and <c>status.containers</c>, through the admission
/// gate like any other writer (a report about another node's copy or an older definition is
/// ignored; a refused write is logged with the gate's diagnostic).
/// </summary>
public sealed partial class StatusIngestion : IDisposable
{
    private readonly AgentGateway _agents;
    private readonly IObjectWriter _writer;
    private readonly Snapshots.ConfigSnapshotProvider _snapshots;
    private readonly ILogger _log;

    public StatusIngestion(AgentGateway agents, IObjectWriter writer, Snapshots.ConfigSnapshotProvider snapshots, ILogger<StatusIngestion> log)
    {
        _agents = agents;
        _writer = writer;
        _snapshots = snapshots;
        _log = log;
        agents.PodReportChanged += Handle;
    }

    /// <summary>Writes one report (public so the gate's refusal of a node's write can be shown).</summary>
    public WriteOutcome Write(string node, PodReport report)
    {
        var parts = report.Pod.Split('/');
        if (parts.Length != 3)
        {
            return WriteOutcome.Unchanged;
        }

        var pod = new ObjectRef(parts[0], parts[1], parts[2]);
        var message = $"runtime: {pod.Display} on {node} reports {report.Phase}{(report.Restarts > 0 ? $" ({report.Restarts} restart(s))" : string.Empty)}";
        var written = _writer.Update(pod, Core.Ownership.BuiltInLoops.Runtime, _snapshots.Current.Commit, message, current =>
        {
            if (current["status"]?["nodeName"]?.ToString() != node
                || Loops.Runtime.Assignment(pod.Key, current).Generation != report.Generation)
            {
                return []; // A report about an older definition or another node's copy: not this pod's state.
            }

            if (current["status"] is not JsonObject status)
            {
                // Assign once: a node has one parent.
                current["status"] = status = [];
            }

            var changed = new List<string>();
            Set(status, "phase", report.Phase, changed);
            Set(status, "restarts", report.Restarts, changed);
            Set(status, "containers", Loops.Runtime.ContainersJson(report.Containers), changed);
            if (report.InitContainers is { } inits)
            {
                Set(status, "initContainers", Loops.Runtime.InitContainersJson(inits), changed);
            }

            return changed;
        });
        if (written.IsRefused)
        {
            LogRefused(_log, pod.Key, node, written.Describe());
        }

        return written;
    }

    private void Handle(string node, PodReport report) => Write(node, report);

    private static void Set(JsonObject status, string field, JsonNode? value, List<string> changed)
    {
        if (!(status.TryGetPropertyValue(field, out var old) && JsonNode.DeepEquals(old, value)))
        {
            status[field] = value;
            changed.Add("status." + field);
        }
    }

    public void Dispose() => _agents.PodReportChanged -= Handle;

    [LoggerMessage(Level = LogLevel.Error, Message = "A report from node {Node} about {Object} was refused by admission: {Diagnostics}")]
    private static partial void LogRefused(ILogger logger, string @object, string node, string diagnostics);
}
