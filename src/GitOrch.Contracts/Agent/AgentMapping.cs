using System.Text.Json;
using GitOrch.Core.AgentApi;
using Google.Protobuf.Collections;

namespace GitOrch.Contracts.Agent;

/// <summary>Maps the agent contract's C# records to the protocol's messages and back, field for field.</summary>
public static class AgentMapping
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static PodAssignment ToProto(this Core.AgentApi.PodAssignment a)
    {
        var message = new PodAssignment { Pod = a.Pod, Generation = a.Generation, SpecJson = a.Spec.GetRawText(), GracePeriodSeconds = a.GracePeriodSeconds };
        if (a.PodIP is not null)
        {
            message.PodIp = a.PodIP;
        }

        foreach (var (name, port) in a.Ports)
        {
            message.Ports[name] = port;
        }
        return message;
    }

    public static Core.AgentApi.PodAssignment FromProto(this PodAssignment m)
    {
        using var spec = JsonDocument.Parse(m.SpecJson.Length == 0 ? "{}" : m.SpecJson);
        return new Core.AgentApi.PodAssignment(m.Pod, m.Generation, spec.RootElement.Clone(), m.HasPodIp ? m.PodIp : null, new Dictionary<string, int>(m.Ports), m.GracePeriodSeconds);
    }

    public static AssignmentSet ToProto(this Core.AgentApi.AssignmentSet s)
    {
        var message = new AssignmentSet { Node = s.Node, Revision = s.Revision };
        message.Pods.Add(s.Pods.Select(ToProto));
        return message;
    }

    public static Core.AgentApi.AssignmentSet FromProto(this AssignmentSet m) =>
        new(m.Node, m.Revision, m.Pods.Select(FromProto).ToList());

    public static ContainerReport ToProto(this Core.AgentApi.ContainerReport c)
    {
        var message = new ContainerReport { Name = c.Name, State = c.State, Restarts = c.Restarts };
        if (c.Pid is { } pid)
        {
            message.Pid = pid;
        }

        if (c.ExitCode is { } exit)
        {
            message.ExitCode = exit;
        }

        if (c.StartedAt is { } started)
        {
            message.StartedAtUnixMs = started.ToUnixTimeMilliseconds();
        }

        if (c.FinishedAt is { } finished)
        {
            message.FinishedAtUnixMs = finished.ToUnixTimeMilliseconds();
        }

        if (c.NextAttemptAt is { } next)
        {
            message.NextAttemptAtUnixMs = next.ToUnixTimeMilliseconds();
        }

        message.LastOutput.Add(c.LastOutput ?? []);
        return message;
    }

    public static Core.AgentApi.ContainerReport FromProto(this ContainerReport m) =>
        new(m.Name, m.State, m.HasPid ? m.Pid : null, m.Restarts, m.HasExitCode ? m.ExitCode : null,
            m.HasStartedAtUnixMs ? DateTimeOffset.FromUnixTimeMilliseconds(m.StartedAtUnixMs) : null,
            m.HasFinishedAtUnixMs ? DateTimeOffset.FromUnixTimeMilliseconds(m.FinishedAtUnixMs) : null,
            m.HasNextAttemptAtUnixMs ? DateTimeOffset.FromUnixTimeMilliseconds(m.NextAttemptAtUnixMs) : null,
            m.LastOutput.Count > 0 ? [.. m.LastOutput] : null);

    public static InitContainerReport ToProto(this Core.AgentApi.InitContainerReport i)
    {
        var message = new InitContainerReport { Name = i.Name, State = i.State, Attempts = i.Attempts };
        if (i.ExitCode is { } exit)
        {
            message.ExitCode = exit;
        }

        if (i.StartedAt is { } started)
        {
            message.StartedAtUnixMs = started.ToUnixTimeMilliseconds();
        }

        if (i.FinishedAt is { } finished)
        {
            message.FinishedAtUnixMs = finished.ToUnixTimeMilliseconds();
        }

        if (i.RetryAt is { } retry)
        {
            message.RetryAtUnixMs = retry.ToUnixTimeMilliseconds();
        }

        if (i.Message is not null)
        {
            message.Message = i.Message;
        }

        message.LastLines.Add(i.LastLines);
        return message;
    }

    public static Core.AgentApi.InitContainerReport FromProto(this InitContainerReport m) =>
        new(m.Name, m.State, m.Attempts, m.HasExitCode ? m.ExitCode : null,
            m.HasStartedAtUnixMs ? DateTimeOffset.FromUnixTimeMilliseconds(m.StartedAtUnixMs) : null,
            m.HasFinishedAtUnixMs ? DateTimeOffset.FromUnixTimeMilliseconds(m.FinishedAtUnixMs) : null,
            m.HasRetryAtUnixMs ? DateTimeOffset.FromUnixTimeMilliseconds(m.RetryAtUnixMs) : null,
            m.HasMessage ? m.Message : null, [.. m.LastLines]);

    public static PodReport ToProto(this Core.AgentApi.PodReport r)
    {
        var message = new PodReport { Pod = r.Pod, Generation = r.Generation, Phase = r.Phase, Restarts = r.Restarts };
        if (r.Message is not null)
        {
            message.Message = r.Message;
        }

        message.Containers.Add(r.Containers.Select(ToProto));
        if (r.Network is not null)
        {
            message.NetworkJson = JsonSerializer.Serialize(r.Network, Json);
        }

        message.InitContainers.Add((r.InitContainers ?? []).Select(ToProto));
        return message;
    }

    public static Core.AgentApi.PodReport FromProto(this PodReport m) =>
        new(m.Pod, m.Generation, m.Phase, m.Restarts, m.HasMessage ? m.Message : null, m.Containers.Select(FromProto).ToList(),
            m.HasNetworkJson ? JsonSerializer.Deserialize<PodNetworkReport>(m.NetworkJson, Json) : null,
            m.InitContainers.Count > 0 ? m.InitContainers.Select(FromProto).ToList() : null);

    public static NodeHeartbeat ToProto(this Core.AgentApi.NodeHeartbeat h)
    {
        var message = new NodeHeartbeat { Node = h.Node, CpuMillis = h.CpuMillis, MemoryBytes = h.MemoryBytes };
        foreach (var (key, value) in h.Labels)
        {
            message.Labels[key] = value;
        }
        message.Images.Add(h.Images);
        message.Pods.Add(h.Pods.Select(ToProto));
        message.Runtimes.Add(h.Runtimes);
        if (h.UnderlayAddress is not null)
        {
            message.UnderlayAddress = h.UnderlayAddress;
        }

        if (h.PeerRoutes is not null)
        {
            message.PeerRoutesJson = JsonSerializer.Serialize(h.PeerRoutes, Json);
        }

        if (h.NetworkProblem is not null)
        {
            message.NetworkProblem = h.NetworkProblem;
        }

        if (h.StateDir is not null)
        {
            message.StateDir = h.StateDir;
        }

        return message;
    }

    public static Core.AgentApi.NodeHeartbeat FromProto(this NodeHeartbeat m) =>
        new(m.Node, Copy(m.Labels), m.CpuMillis, m.MemoryBytes, [.. m.Images], m.Pods.Select(FromProto).ToList(), [.. m.Runtimes],
            m.HasUnderlayAddress ? m.UnderlayAddress : null,
            m.HasPeerRoutesJson ? JsonSerializer.Deserialize<List<PeerRouteReport>>(m.PeerRoutesJson, Json) : null,
            m.HasNetworkProblem ? m.NetworkProblem : null,
            m.HasStateDir ? m.StateDir : null);

    /// <summary>The network part of a heartbeat's answer.</summary>
    public static NodeNetwork? Network(this HeartbeatAck ack) =>
        ack.HasNetworkJson ? JsonSerializer.Deserialize<NodeNetwork>(ack.NetworkJson, Json) : null;

    public static void SetNetwork(this HeartbeatAck ack, NodeNetwork? network)
    {
        if (network is not null)
        {
            ack.NetworkJson = JsonSerializer.Serialize(network, Json);
        }
    }

    private static Dictionary<string, string> Copy(MapField<string, string> map) => new(map, StringComparer.Ordinal);
}
