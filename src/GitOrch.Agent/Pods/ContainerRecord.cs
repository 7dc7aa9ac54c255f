namespace GitOrch.Agent.Pods;

/// <summary>
/// What the agent remembers on disk about a running container, to re-adopt it after a restart: the
/// process it watches (pid and start time), the definition it runs (generation), the runtime that
/// started it (<c>process</c>, <c>oci</c>, <c>gvisor</c>), that runtime's id for it (runc's
/// container id) and its network namespace. A later agent stops it with the same runtime and id,
/// whatever the pod's definition says by then. Records written before the runtime was kept have
/// no <see cref="Runtime"/>: the pod's current runtime is assumed.
/// </summary>
public sealed record ContainerRecord(
    int Pid,
    long StartTime,
    string Generation,
    DateTimeOffset StartedAt,
    int Restarts,
    string? Runtime = null,
    string? Id = null,
    string? Network = null);
