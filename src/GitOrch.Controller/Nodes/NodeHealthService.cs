using System.Text.Json.Nodes;
using GitOrch.Controller.Agents;
using GitOrch.Controller.Workflows;
using GitOrch.Core.Diagnostics;
using GitOrch.Core.Manifests;
using GitOrch.History.Store;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace GitOrch.Controller.Nodes;

/// <summary>
/// Node health and rescheduling: a node silent for longer than the grace period takes no new
/// pods and its <c>ha</c> pods move; an operator's <c>node dead</c> moves every pod. The move is
/// the scheduler's write (<c>status.nodeName</c> cleared) through the admission gate.
/// </summary>
public sealed partial class NodeHealthService(
    ControllerOptions options, NodeRegistry nodes, AgentGateway agents, IObjectWriter writer,
    Snapshots.ConfigSnapshotProvider snapshots, WorkflowService workflows, State.StateGuard guard, TimeProvider time, ILogger<NodeHealthService> log) : BackgroundService
{
    private readonly DateTimeOffset _startedAt = time.GetUtcNow();

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var every = TimeSpan.FromTicks(Math.Max(TimeSpan.FromMilliseconds(100).Ticks, Math.Min(options.Poll.Ticks, options.NodeGrace.Ticks / 2)));
        using var timer = new PeriodicTimer(every, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try
                {
                    CheckNodes();
                }
                catch (Exception ex) when (ex is not OperationCanceledException && guard.StopIfGone())
                {
                    return; // The state folder is gone: the guard stops the controller and says why.
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    LogCheckFailed(log, ex);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping.
        }
    }

    /// <summary>
    /// Nodes that stopped heartbeating for longer than the grace period take no new pods, and their
    /// <c>ha</c> pods are rescheduled; <c>best-effort</c> pods wait for an operator (<c>node dead</c>).
    /// </summary>
    public void CheckNodes()
    {
        var now = time.GetUtcNow();
        foreach (var node in nodes.All)
        {
            var silent = now - (agents.LastSeen(node.Name) ?? _startedAt);
            if (silent <= options.NodeGrace || nodes.Condition(node.Name) is not null)
            {
                continue;
            }

            nodes.MarkUnschedulable(node.Name, $"not ready: no heartbeat for {silent.TotalSeconds:0}s");
            LogNodeLost(log, node.Name, silent.TotalSeconds);
            foreach (var pod in PodsOn(node.Name).Where(p => p.Availability == Availability.Ha))
            {
                Reschedule(pod.Ref, $"node {node.Name} has not answered for {silent.TotalSeconds:0}s and the pod is ha");
            }
        }
    }

    /// <summary>Why declaring this node dead may be a mistake (it heartbeats), or null.</summary>
    public string? AliveWarning(string node) =>
        agents.LastSeen(node) is { } seen && time.GetUtcNow() - seen < options.NodeGrace
            ? $"node {node} sent a heartbeat {(time.GetUtcNow() - seen).TotalSeconds:0}s ago: it looks alive, and it becomes ready again at its next heartbeat (its moved pods stop there)"
            : null;

    /// <summary>An operator says a node is gone for good: every pod on it (ha and best-effort) is rescheduled.</summary>
    public IReadOnlyList<ObjectRef> DeclareDead(string node)
    {
        nodes.MarkUnschedulable(node, "declared dead by an operator (gitorch node dead)");
        var moved = PodsOn(node).Select(p => p.Ref).ToList();
        foreach (var pod in moved)
        {
            Reschedule(pod, $"node {node} was declared dead");
        }

        return moved;
    }

    private List<(ObjectRef Ref, Availability Availability)> PodsOn(string node) =>
        workflows.Pods.PodsOn(node)
            .Select(p => (p, workflows.Pods.Of(p)?.Ha == true ? Availability.Ha : Availability.BestEffort))
            .ToList();

    private void Reschedule(ObjectRef pod, string reason)
    {
        var commit = snapshots.Current.Commit;
        var written = writer.Update(pod, Core.Ownership.BuiltInLoops.Scheduler, commit, $"scheduler: {reason}: reschedule {pod.Display}", current =>
        {
            if (current["status"] is not JsonObject status || status["nodeName"] is null)
            {
                return [];
            }

            status.Remove("nodeName");
            return ["status.nodeName"];
        });
        if (written.IsRefused)
        {
            LogRefused(log, pod.Key, written.Describe());
            return;
        }

        LogRescheduled(log, pod.Key, reason);
        workflows.OnChanged([pod], commit);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Node {Node} has not sent a heartbeat for {Seconds:0}s: it takes no new pods, and its ha pods are rescheduled")]
    private static partial void LogNodeLost(ILogger logger, string node, double seconds);

    [LoggerMessage(Level = LogLevel.Information, Message = "Rescheduling {Object}: {Reason}")]
    private static partial void LogRescheduled(ILogger logger, string @object, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Rescheduling {Object} was refused by admission: {Diagnostics}")]
    private static partial void LogRefused(ILogger logger, string @object, string diagnostics);

    [LoggerMessage(Level = LogLevel.Error, Message = "Checking node health failed; trying again at the next tick")]
    private static partial void LogCheckFailed(ILogger logger, Exception ex);
}
