using GitOrch.Core.Manifests;

namespace GitOrch.Agent.Runtimes;

/// <summary>Runs one container of a pod. Drivers: <c>process</c> (host processes) and <c>oci</c> (runc).</summary>
public interface IRuntimeDriver
{
    /// <summary>The runtime's name as pods write it (<c>process</c>, <c>oci</c>).</summary>
    string Name { get; }

    /// <summary>Null when the driver can run containers here; otherwise what is missing, said so a person can fix it.</summary>
    string? Unavailable { get; }

    /// <summary>Starts a container; it keeps running if the agent stops (its output goes to its log file).</summary>
    Task<ContainerHandle> StartAsync(ContainerLaunch launch, CancellationToken ct);

    /// <summary>Stops a container: SIGTERM to its process group, the grace period, then SIGKILL.</summary>
    Task StopAsync(ContainerHandle handle, TimeSpan grace, CancellationToken ct);

    /// <summary>
    /// Releases what the pod's containers share (the <c>oci</c> runtime's network namespace) once all
    /// of them are stopped, or before a fresh start. Init containers and containers of one pod share
    /// it, so a driver sets it up on the first start and keeps it until this call.
    /// </summary>
    Task ReleasePodAsync(string pod, CancellationToken ct) => Task.CompletedTask;

    /// <summary>
    /// Takes over a container an earlier agent started and left running (as its record on disk
    /// says): watches it until it exits, and stops it the way <see cref="StopAsync"/> does.
    /// <paramref name="id"/> is the runtime's own id (runc's container id), null where it has none.
    /// </summary>
    ContainerHandle Adopt(string pod, string container, int pid, long startTime, string? id);
}

/// <summary>What a driver needs to start one container.</summary>
public sealed record ContainerLaunch(
    string Pod,
    string PodDirectory,
    PodSpec Spec,
    Container Container,
    string? PodIP,
    IReadOnlyDictionary<string, int> Ports,
    string LogFile,
    string? ImageRootfs);

/// <summary>
/// A started (or re-adopted) container: its process group, how to learn that it exited, the
/// runtime's id for it (runc), and its network namespace (oci), so that a later agent can stop it.
/// </summary>
public sealed record ContainerHandle(int Pid, long StartTime, Task<int> Exited, string? Id = null, string? Network = null);
