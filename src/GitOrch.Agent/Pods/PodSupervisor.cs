using System.Text.Json;
using System.Text.Json.Nodes;
using GitOrch.Agent.Native;
using GitOrch.Agent.Runtimes;
using GitOrch.Core.AgentApi;
using GitOrch.Core.Logs;
using GitOrch.Core.Manifests;
using Microsoft.Extensions.Logging;

namespace GitOrch.Agent.Pods;

/// <summary>
/// Keeps one pod running on this node: runs its init containers (one at a time, in order, see
/// PodSupervisor.InitContainers.cs), then starts its containers, restarts crashed ones by its
/// restartPolicy (backoff 1 s doubling to 5 min, reset after 10 min of health), and applies a new
/// definition in place (SIGTERM, grace period, SIGKILL, init containers again, start again: same
/// pod, same address).
/// </summary>
public sealed partial class PodSupervisor : IAsyncDisposable
{
    private readonly string _directory;
    private readonly Func<string, IRuntimeDriver?> _drivers;
    private readonly Func<string, string?> _images;
    private readonly TimeProvider _time;
    private readonly ILogger _log;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, ContainerState> _containers = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _applying = new(1, 1);
    private CancellationTokenSource _run = new();
    private Task _podLoop = Task.CompletedTask;
    private PodAssignment _assignment;
    private PodSpec _spec;
    private string? _failure;
    private long _sandbox;

    public PodSupervisor(PodAssignment assignment, string stateDir, Func<string, IRuntimeDriver?> drivers, Func<string, string?> images, TimeProvider time, ILogger log)
    {
        _assignment = assignment;
        _spec = Spec(assignment);
        _directory = Path.Combine(stateDir, "pods", Escape(assignment.Pod));
        _drivers = drivers;
        _images = images;
        _time = time;
        _log = log;
        NewSandbox(); // The pod's first sandbox; a restart in place that cannot keep it takes the next.
    }

    public string Pod => _assignment.Pod;

    /// <summary>
    /// Called when what <see cref="Report"/> says changes (a container started, exited or could not
    /// start; an init container started or ended), so the agent reports it now instead of at its
    /// next heartbeat.
    /// </summary>
    public Action? Changed { get; set; }

    private void Notify() => Changed?.Invoke();

    public string Generation => _assignment.Generation;

    /// <summary>
    /// Names the pod's sandbox: a new number, unique on this node, for each start that does not keep
    /// the one before (an in-place restart keeps it), taken before the old sandbox is torn down.
    /// </summary>
    public long Sandbox => Interlocked.Read(ref _sandbox);

    private static long s_sandboxes;

    private void NewSandbox() => Interlocked.Exchange(ref _sandbox, Interlocked.Increment(ref s_sandboxes));

    /// <summary>What the pod runs now (its address among it).</summary>
    public PodAssignment Assignment => _assignment;

    /// <summary>Starts the pod, re-adopting containers an earlier agent left running with this generation.</summary>
    public Task StartAsync(CancellationToken ct) => ApplyAsync(_assignment, adopt: true, ct);

    /// <summary>
    /// Applies a new definition: nothing when the generation is the same, an in-place restart
    /// otherwise. The containers stop (SIGTERM, grace period, SIGKILL) and start again with the new
    /// definition; the pod's sandbox (its network namespace, veth and address) stays when the new
    /// definition keeps the runtime, the address and the network mode, so only the containers change.
    /// </summary>
    public async Task UpdateAsync(PodAssignment assignment, CancellationToken ct)
    {
        if (assignment.Generation == _assignment.Generation)
        {
            return;
        }

        LogRestartInPlace(_log, assignment.Pod, _assignment.Generation, assignment.Generation);
        var keepSandbox = KeepsSandbox(_assignment, assignment);
        if (!keepSandbox)
        {
            NewSandbox(); // Before the old one goes: a look at it must not pass for the new one's.
        }

        await StopAsync(releaseSandbox: !keepSandbox, ct);
        await ApplyAsync(assignment, adopt: false, ct, keepSandbox);
    }

    /// <summary>
    /// Whether an in-place change can keep the pod's sandbox: the same runtime, address and
    /// security settings (network mode, sysctls, capabilities, privileges). What the old generation
    /// was allowed to set inside the namespace (a net.* sysctl, a route added with NET_ADMIN) must
    /// not outlive a definition that takes the permission away: then the pod gets a fresh sandbox.
    /// </summary>
    internal static bool KeepsSandbox(PodAssignment from, PodAssignment to)
    {
        var (fromSpec, toSpec) = (Spec(from), Spec(to));
        return string.Equals(from.PodIP, to.PodIP, StringComparison.Ordinal)
            && RuntimeName(fromSpec) == RuntimeName(toSpec)
            && JsonSerializer.Serialize(fromSpec.Security, ManifestJson.Options) == JsonSerializer.Serialize(toSpec.Security, ManifestJson.Options);
    }

    private async Task ApplyAsync(PodAssignment assignment, bool adopt, CancellationToken ct, bool keepSandbox = false)
    {
        await _applying.WaitAsync(ct);
        try
        {
            _assignment = assignment;
            _spec = Spec(assignment);
            _failure = null;
            _run = new CancellationTokenSource();
            var runtime = RuntimeName(_spec);
            var driver = _drivers(runtime);
            if (driver is null || driver.Unavailable is { } missing)
            {
                _failure = $"the {runtime} runtime cannot run here: {driver?.Unavailable ?? "no driver"}";
                LogCannotRun(_log, assignment.Pod, _failure);
                if (adopt)
                {
                    await StopLeftoversAsync(ct); // Whatever an earlier agent left running of this pod goes, with its own runtime.
                }

                return;
            }

            Storage.StateFiles.Folder(Path.GetDirectoryName(_directory)!, Storage.StateFiles.TraversableFolder);
            Storage.StateFiles.Folder(_directory, Storage.StateFiles.TraversableFolder); // its working folders are the pod's own
            var handles = new List<(ContainerState State, ContainerHandle? Adopted)>();
            foreach (var container in _spec.Containers)
            {
                var state = new ContainerState(container, new RestartBackoff(_time), driver);
                lock (_gate)
                {
                    _containers[container.Name] = state;
                }

                var adopted = adopt ? await AdoptAsync(assignment, container.Name, state, ct) : null;
                handles.Add((state, adopted));
            }

            // Init containers run first, unless this generation's containers are already up (re-adopted).
            var initDone = PrepareInitContainers(adopt, handles.Any(h => h.Adopted is not null));
            if (!handles.Any(h => h.Adopted is not null) && !initDone && !keepSandbox)
            {
                await driver.ReleasePodAsync(assignment.Pod, ct); // A fresh start: no namespace left from an earlier run.
            }

            var run = _run.Token;
            _podLoop = Task.Run(
                async () =>
                {
                    if (!initDone && !await RunInitContainersAsync(driver, run))
                    {
                        return; // Failed for good (restartPolicy Never), or stopping.
                    }

                    foreach (var (state, adopted) in handles)
                    {
                        state.Loop = Task.Run(() => SuperviseAsync(driver, state, adopted, run), CancellationToken.None);
                    }
                },
                CancellationToken.None);
        }
        finally
        {
            _applying.Release();
        }
    }

    /// <summary>
    /// Takes over the container an earlier agent left running, with the runtime and id its record
    /// names: kept when it runs this generation, stopped (grace period, then kill; runc container
    /// and network namespace deleted) when it runs an older one.
    /// </summary>
    private async Task<ContainerHandle?> AdoptAsync(PodAssignment assignment, string container, ContainerState state, CancellationToken ct)
    {
        var record = ReadRecord(container);
        if (record is null || Posix.StartTime(record.Pid) != record.StartTime)
        {
            return null;
        }

        var driver = _drivers(record.Runtime ?? RuntimeName(_spec));
        if (driver is null)
        {
            Posix.SignalGroup(record.Pid, Posix.SigKill); // No driver knows it any more: the most this node can do.
            return null;
        }

        var handle = driver.Adopt(assignment.Pod, container, record.Pid, record.StartTime, record.Id);
        handle = handle with { Network = record.Network ?? handle.Network };
        if (record.Generation == assignment.Generation && driver.Name == state.Driver.Name)
        {
            state.Restarts = record.Restarts;
            state.StartedAt = record.StartedAt;
            LogAdopted(_log, assignment.Pod, container, record.Pid);
            return handle;
        }

        LogStoppingLeftover(_log, assignment.Pod, container, record.Pid, record.Generation);
        await StopQuietlyAsync(driver, handle, TimeSpan.FromSeconds(assignment.GracePeriodSeconds), ct);
        return null;
    }

    /// <summary>Stops every container of this pod that an earlier agent left running (its records on disk).</summary>
    private async Task StopLeftoversAsync(CancellationToken ct)
    {
        foreach (var name in _spec.Containers.Select(c => c.Name))
        {
            var record = ReadRecord(name);
            if (record is not null && Posix.StartTime(record.Pid) == record.StartTime && _drivers(record.Runtime ?? RuntimeName(_spec)) is { } driver)
            {
                LogStoppingLeftover(_log, _assignment.Pod, name, record.Pid, record.Generation);
                await StopQuietlyAsync(driver, driver.Adopt(_assignment.Pod, name, record.Pid, record.StartTime, record.Id), TimeSpan.FromSeconds(_assignment.GracePeriodSeconds), ct);
            }

            DeleteRecord(name);
        }
    }

    /// <summary>
    /// Stops the containers that the records in <paramref name="podDirectory"/> describe: what an
    /// earlier agent left running of a pod that is no longer assigned to this node.
    /// </summary>
    public static async Task<int> ReapAsync(string podDirectory, Func<string, IRuntimeDriver?> drivers, ILogger log, CancellationToken ct)
    {
        var stopped = 0;
        foreach (var file in Directory.Exists(podDirectory) ? Directory.EnumerateFiles(podDirectory, "*.json") : [])
        {
            ContainerRecord? record;
            try
            {
                record = JsonSerializer.Deserialize<ContainerRecord>(File.ReadAllText(file));
            }
            catch (JsonException)
            {
                continue;
            }

            if (record is not null && Posix.StartTime(record.Pid) == record.StartTime && record.Runtime is { } runtime && drivers(runtime) is { } driver)
            {
                var container = Path.GetFileNameWithoutExtension(file);
                LogStoppingLeftover(log, Path.GetFileName(podDirectory), container, record.Pid, record.Generation);
                await StopQuietlyAsync(driver, driver.Adopt(Path.GetFileName(podDirectory), container, record.Pid, record.StartTime, record.Id), TimeSpan.FromSeconds(2), ct);
                stopped++;
            }

            File.Delete(file);
        }

        return stopped;
    }

    private static async Task StopQuietlyAsync(IRuntimeDriver driver, ContainerHandle handle, TimeSpan grace, CancellationToken ct)
    {
        try
        {
            await driver.StopAsync(handle, grace, ct);
        }
        catch (TimeoutException)
        {
            Posix.SignalGroup(handle.Pid, Posix.SigKill);
        }
    }

    /// <summary>The driver name for a pod's runtime.</summary>
    public static string RuntimeName(PodSpec spec) => spec.Runtime switch
    {
        PodRuntime.Process => "process",
        PodRuntime.Gvisor => "gvisor",
        _ => "oci",
    };

    private async Task SuperviseAsync(IRuntimeDriver driver, ContainerState state, ContainerHandle? adopted, CancellationToken ct)
    {
        var handle = adopted;
        var restarting = false;
        while (!ct.IsCancellationRequested)
        {
            if (handle is null)
            {
                try
                {
                    var rootfs = _spec.Runtime != PodRuntime.Process ? _images(state.Container.Image!) : null;
                    handle = await driver.StartAsync(new ContainerLaunch(_assignment.Pod, _directory, _spec, state.Container, _assignment.PodIP, _assignment.Ports,
                        Path.Combine(_directory, state.Container.Name + ".log"), rootfs), ct);
                    state.StartedAt = _time.GetUtcNow();
                    if (restarting)
                    {
                        state.Restarts++;
                        restarting = false;
                    }

                    WriteRecord(state.Container.Name, new ContainerRecord(handle.Pid, handle.StartTime, _assignment.Generation, state.StartedAt.Value, state.Restarts, driver.Name, handle.Id, handle.Network));
                    LogStarted(_log, _assignment.Pod, state.Container.Name, handle.Pid);
                }
                catch (RuntimeException ex)
                {
                    state.LastOutput = LastOutput(LogFile(state.Container.Name));
                    state.Message = ex.Message;
                    state.Failed = true;
                    LogCannotRun(_log, _assignment.Pod, ex.Message);
                    Notify();
                    return;
                }
            }

            state.Handle = handle;
            state.NextAttemptAt = null; // Cleared only now: between the backoff's end and the start, the pod is still in its crash loop.
            state.Running = true;
            Notify();
            int exitCode;
            try
            {
                exitCode = await handle.Exited.WaitAsync(ct);
            }
            catch (OperationCanceledException)
            {
                return; // Stopping: StopAsync signals the process group.
            }

            var restart = _spec.RestartPolicy switch
            {
                RestartPolicy.Always => true,
                RestartPolicy.OnFailure => exitCode != 0,
                _ => false,
            };
            var now = _time.GetUtcNow();
            var delay = restart ? state.Backoff.Next(state.StartedAt ?? now) : TimeSpan.Zero;

            // The message and the next attempt first, then the exit code, then "not running": a report
            // read in between never sees an exited container without knowing whether it restarts.
            state.NextAttemptAt = restart ? now + delay : null;
            state.Message = restart
                ? $"exited with code {exitCode}; next attempt at {state.NextAttemptAt:HH:mm:ss}Z (backoff {delay.TotalSeconds:0.#}s)"
                : $"exited with code {exitCode}";
            state.LastOutput = LastOutput(LogFile(state.Container.Name));
            state.ExitCode = exitCode;
            state.FinishedAt = now;
            state.Running = false;
            Notify();
            if (!restart)
            {
                LogExited(_log, _assignment.Pod, state.Container.Name, exitCode, "not restarted (restartPolicy " + _spec.RestartPolicy + ")");
                return;
            }

            LogExited(_log, _assignment.Pod, state.Container.Name, exitCode, $"restart in {delay.TotalSeconds:0.#}s");
            try
            {
                await Task.Delay(delay, _time, ct);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            restarting = true;
            handle = null;
        }
    }

    /// <summary>Stops every container (SIGTERM, grace period, SIGKILL), waits for the supervision loops and removes the pod's sandbox.</summary>
    public Task StopAsync(CancellationToken ct) => StopAsync(releaseSandbox: true, ct);

    private async Task StopAsync(bool releaseSandbox, CancellationToken ct)
    {
        await _run.CancelAsync();
        await _podLoop;
        List<ContainerState> states;
        lock (_gate)
        {
            states = [.. _containers.Values];
            _containers.Clear();
        }

        var driver = _drivers(RuntimeName(_spec));
        var grace = TimeSpan.FromSeconds(_assignment.GracePeriodSeconds);
        await StopInitContainersAsync(driver, grace, ct);
        await Task.WhenAll(states.Select(async s =>
        {
            if (s.Loop is not null)
            {
                await s.Loop;
            }

            if (s.Handle is not null)
            {
                await StopQuietlyAsync(s.Driver, s.Handle, grace, ct); // The runtime that started it, whatever the new definition asks for.
            }

            DeleteRecord(s.Container.Name);
        }));
        if (driver is not null && releaseSandbox)
        {
            await driver.ReleasePodAsync(_assignment.Pod, ct);
        }

        LogStopped(_log, _assignment.Pod);
    }

    /// <summary>
    /// Whether the pod is between states: false while a container is starting (not yet running,
    /// failed, waiting in its backoff or exited), true otherwise.
    /// </summary>
    public bool Settled
    {
        get
        {
            lock (_gate)
            {
                return _containers.Values.All(s => s.Running || s.Failed || s.NextAttemptAt is not null || s.ExitCode is not null);
            }
        }
    }

    /// <summary>What the node reports about this pod.</summary>
    public PodReport Report()
    {
        List<ContainerState> states;
        lock (_gate)
        {
            states = [.. _containers.Values];
        }

        var containers = states.Select(s => new ContainerReport(
            s.Container.Name, ContainerStateText(s), s.Running ? s.Handle?.Pid : null, s.Restarts, s.ExitCode, s.StartedAt,
            s.Running ? null : s.FinishedAt, s.Running ? null : s.NextAttemptAt,
            s.Running ? null : s.LastOutput)).ToList();
        var restarts = states.Sum(s => s.Restarts);
        var inits = InitReports();
        string phase;
        string? message;
        if (_failure is not null || states.Any(s => s.Failed))
        {
            phase = "Failed";
            message = _failure ?? states.First(s => s.Failed).Message;
        }
        else if (InitPhase(inits) is { } init)
        {
            (phase, message) = init;
        }
        else if (states.Any(s => !s.Running && s.NextAttemptAt is not null))
        {
            // Exited unexpectedly and waits in its restart backoff: a crash loop, named as such.
            phase = "CrashLoop";
            message = string.Join("; ", containers.Where(c => c.State == "crashloop").Select(c =>
                $"{c.Name} exited with code {c.ExitCode} ({c.Restarts} restart(s)); next attempt at {c.NextAttemptAt:HH:mm:ss}Z"
                + (c.LastOutput is { Count: > 0 } output ? $"; last output: {output[^1]}" : string.Empty)));
        }
        else if (states.Count > 0 && states.All(s => s.Running))
        {
            phase = "Running";
            message = null;
        }
        else if (states.Count > 0 && states.All(s => !s.Running && s.ExitCode is not null && s.NextAttemptAt is null))
        {
            phase = states.All(s => s.ExitCode == 0) ? "Succeeded" : "Failed";
            message = string.Join("; ", states.Select(s => $"{s.Container.Name} {s.Message}"));
        }
        else
        {
            phase = "Pending";
            message = string.Join("; ", states.Where(s => !s.Running).Select(s => $"{s.Container.Name}: {s.Message ?? "starting"}"));
        }

        return new PodReport(_assignment.Pod, _assignment.Generation, phase, restarts, message, containers, InitContainers: inits.Count > 0 ? inits : null);
    }

    /// <summary>How many of a stopped container's last output lines a report carries.</summary>
    public const int OutputLines = 5;

    private static string ContainerStateText(ContainerState s) =>
        s.Running ? "running" : s.Failed ? "failed" : s.NextAttemptAt is not null ? "crashloop" : s.ExitCode is null ? "starting" : "exited";

    /// <summary>The last lines of a container's log, with runs of identical lines folded into one ("line (×3)").</summary>
    internal static IReadOnlyList<string> LastOutput(string logFile)
    {
        var folded = LogFolding.Fold(RotatingLog.Tail(logFile, 50));
        return folded.Count > OutputLines ? folded.Skip(folded.Count - OutputLines).ToList() : folded;
    }

    public string LogFile(string container) => Path.Combine(_directory, container + ".log");

    private ContainerRecord? ReadRecord(string container)
    {
        var path = Path.Combine(_directory, container + ".json");
        try
        {
            return File.Exists(path) ? JsonSerializer.Deserialize<ContainerRecord>(File.ReadAllText(path)) : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private void WriteRecord(string container, ContainerRecord record)
    {
        var path = Path.Combine(_directory, container + ".json");
        File.WriteAllText(path + ".tmp", JsonSerializer.Serialize(record));
        File.Move(path + ".tmp", path, overwrite: true);
    }

    private void DeleteRecord(string container) => File.Delete(Path.Combine(_directory, container + ".json"));

    private static PodSpec Spec(PodAssignment assignment) =>
        GitOrch.Core.Manifests.ManifestJson.ParseToken(assignment.Spec.GetRawText()).Bind<PodSpec>()
            ?? throw new InvalidDataException($"pod {assignment.Pod} has no spec");

    /// <summary>"Pod/demo/web-0" → "Pod_demo_web-0": a folder name.</summary>
    public static string Escape(string pod) => pod.Replace('/', '_');

    public async ValueTask DisposeAsync()
    {
        // The agent stopping does not stop pods: they keep running and are re-adopted on its return.
        await _run.CancelAsync();
        _run.Dispose();
        _applying.Dispose();
    }

    private sealed class ContainerState(Container container, RestartBackoff backoff, IRuntimeDriver driver)
    {
        public Container Container { get; } = container;

        public IRuntimeDriver Driver { get; } = driver;

        public RestartBackoff Backoff { get; } = backoff;

        public ContainerHandle? Handle { get; set; }

        public Task? Loop { get; set; }

        public bool Running { get; set; }

        public bool Failed { get; set; }

        public int Restarts { get; set; }

        public int? ExitCode { get; set; }

        public string? Message { get; set; }

        public DateTimeOffset? StartedAt { get; set; }

        public DateTimeOffset? FinishedAt { get; set; }

        public DateTimeOffset? NextAttemptAt { get; set; }

        public IReadOnlyList<string>? LastOutput { get; set; }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "{Pod}: container {Container} started (pid {Pid})")]
    private static partial void LogStarted(ILogger logger, string pod, string container, int pid);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Pod}: re-adopted container {Container} (pid {Pid}) left running by the previous agent")]
    private static partial void LogAdopted(ILogger logger, string pod, string container, int pid);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Pod}: stopping container {Container} (pid {Pid}) that an earlier agent left running with definition {Generation}")]
    private static partial void LogStoppingLeftover(ILogger logger, string pod, string container, int pid, string generation);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Pod}: container {Container} exited with code {Code}; {What}")]
    private static partial void LogExited(ILogger logger, string pod, string container, int code, string what);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Pod}: new definition {To} (was {From}): restarting in place")]
    private static partial void LogRestartInPlace(ILogger logger, string pod, string from, string to);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Pod}: stopped")]
    private static partial void LogStopped(ILogger logger, string pod);

    [LoggerMessage(Level = LogLevel.Error, Message = "{Pod}: cannot run: {Reason}")]
    private static partial void LogCannotRun(ILogger logger, string pod, string reason);
}
