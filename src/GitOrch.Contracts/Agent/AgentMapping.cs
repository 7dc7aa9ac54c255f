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
        Set(a.PodIP, v => message.PodIp = v);

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
        Set(c.Pid, v => message.Pid = v);
        Set(c.ExitCode, v => message.ExitCode = v);
        Set(Ms(c.StartedAt), v => message.StartedAtUnixMs = v);
        Set(Ms(c.FinishedAt), v => message.FinishedAtUnixMs = v);
        Set(Ms(c.NextAttemptAt), v => message.NextAttemptAtUnixMs = v);
        message.LastOutput.Add(c.LastOutput ?? []);
        return message;
    }

    public static Core.AgentApi.ContainerReport FromProto(this ContainerReport m) =>
        new(m.Name, m.State, m.HasPid ? m.Pid : null, m.Restarts, m.HasExitCode ? m.ExitCode : null,
            Time(m.HasStartedAtUnixMs, m.StartedAtUnixMs),
            Time(m.HasFinishedAtUnixMs, m.FinishedAtUnixMs),
            Time(m.HasNextAttemptAtUnixMs, m.NextAttemptAtUnixMs),
            m.LastOutput.Count > 0 ? [.. m.LastOutput] : null);

    public static InitContainerReport ToProto(this Core.AgentApi.InitContainerReport i)
    {
        var message = new InitContainerReport { Name = i.Name, State = i.State, Attempts = i.Attempts };
        Set(i.ExitCode, v => message.ExitCode = v);
        Set(Ms(i.StartedAt), v => message.StartedAtUnixMs = v);
        Set(Ms(i.FinishedAt), v => message.FinishedAtUnixMs = v);
        Set(Ms(i.RetryAt), v => message.RetryAtUnixMs = v);
        Set(i.Message, v => message.Message = v);

        message.LastLines.Add(i.LastLines);
        return message;
    }

    public static Core.AgentApi.InitContainerReport FromProto(this InitContainerReport m) =>
        new(m.Name, m.State, m.Attempts, m.HasExitCode ? m.ExitCode : null,
            Time(m.HasStartedAtUnixMs, m.StartedAtUnixMs),
            Time(m.HasFinishedAtUnixMs, m.FinishedAtUnixMs),
            Time(m.HasRetryAtUnixMs, m.RetryAtUnixMs),
            m.HasMessage ? m.Message : null, [.. m.LastLines]);

    public static PodReport ToProto(this Core.AgentApi.PodReport r)
    {
        var message = new PodReport { Pod = r.Pod, Generation = r.Generation, Phase = r.Phase, Restarts = r.Restarts };
        Set(r.Message, v => message.Message = v);

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
        Set(h.UnderlayAddress, v => message.UnderlayAddress = v);

        if (h.PeerRoutes is not null)
        {
            message.PeerRoutesJson = JsonSerializer.Serialize(h.PeerRoutes, Json);
        }

        Set(h.NetworkProblem, v => message.NetworkProblem = v);
        Set(h.StateDir, v => message.StateDir = v);
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

    private static long? Ms(DateTimeOffset? time) => time?.ToUnixTimeMilliseconds();

    private static DateTimeOffset? Time(bool has, long unixMs) => has ? DateTimeOffset.FromUnixTimeMilliseconds(unixMs) : null;

    /// <summary>Sets an optional protocol field only when the record has a value, so "absent" stays absent.</summary>
    private static void Set<T>(T? value, Action<T> set)
        where T : struct
    {
        if (value is { } v)
        {
            set(v);
        }
    }

    private static void Set(string? value, Action<string> set)
    {
        if (value is not null)
        {
            set(value);
        }
    }

    private static Dictionary<string, string> Copy(MapField<string, string> map) => new(map, StringComparer.Ordinal);
}
