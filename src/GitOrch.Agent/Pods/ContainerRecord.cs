namespace GitOrch.Agent.Pods;

/// <summary>What the agent remembers on disk about a running container, to re-adopt it after a restart.</summary>
public sealed record ContainerRecord(int Pid, long StartTime, string Generation, DateTimeOffset StartedAt, int Restarts);
