using System.Text.Json;
using GitOrch.Agent.Native;
using GitOrch.Agent.Runtimes;
using GitOrch.Core.AgentApi;
using GitOrch.Core.Manifests;
using Microsoft.Extensions.Logging;

namespace GitOrch.Agent.Pods;

/// <summary>
/// Keeps one pod running on this node: starts its containers, restarts crashed ones by its
/// restartPolicy (backoff 1 s doubling to 5 min, reset after 10 min of health), and applies a new
/// definition in place (SIGTERM, grace period, SIGKILL, start again: same pod, same address).
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
    private PodAssignment _assignment;
    private PodSpec _spec;
    private string? _failure;

    public PodSupervisor(PodAssignment assignment, string stateDir, Func<string, IRuntimeDriver?> drivers, Func<string, string?> images, TimeProvider time, ILogger log)
    {
        _assignment = assignment;
        _spec = Spec(assignment);
        _directory = Path.Combine(stateDir, "pods", Escape(assignment.Pod));
        _drivers = drivers;
        _images = images;
        _time = time;
        _log = log;
    }

    public string Pod => _assignment.Pod;

    public string Generation => _assignment.Generation;

    /// <summary>What the pod runs now (its address among it).</summary>
    public PodAssignment Assignment => _assignment;

    /// <summary>Starts the pod, re-adopting containers an earlier agent left running with this generation.</summary>
    public Task StartAsync(CancellationToken ct) => ApplyAsync(_assignment, adopt: true, ct);

    /// <summary>Applies a new definition: nothing when the generation is the same, an in-place restart otherwise.</summary>
    public async Task UpdateAsync(PodAssignment assignment, CancellationToken ct)
    {
        if (assignment.Generation == _assignment.Generation)
        {
            return;
        }

        LogRestartInPlace(_log, assignment.Pod, _assignment.Generation, assignment.Generation);
        await StopAsync(ct);
        await ApplyAsync(assignment, adopt: false, ct);
    }

    private async Task ApplyAsync(PodAssignment assignment, bool adopt, CancellationToken ct)
    {
        await _applying.WaitAsync(ct);
        try
        {
            _assignment = assignment;
            _spec = Spec(assignment);
            _failure = null;
            _run = new CancellationTokenSource();
            var driver = _drivers(_spec.Runtime == PodRuntime.Process ? "process" : "oci");
            if (driver is null || driver.Unavailable is { } missing)
            {
                _failure = $"the {(_spec.Runtime == PodRuntime.Process ? "process" : "oci")} runtime cannot run here: {driver?.Unavailable ?? "no driver"}";
                LogCannotRun(_log, assignment.Pod, _failure);
                return;
            }

            Storage.StateFiles.Folder(Path.GetDirectoryName(_directory)!, Storage.StateFiles.TraversableFolder);
            Storage.StateFiles.Folder(_directory, Storage.StateFiles.TraversableFolder); // its working folders are the pod's own
            foreach (var container in _spec.Containers)
            {
                var state = new ContainerState(container, new RestartBackoff(_time));
                lock (_gate)
                {
                    _containers[container.Name] = state;
                }

                var record = adopt ? ReadRecord(container.Name) : null;
                ContainerHandle? adopted = null;
                if (record is not null)
                {
                    if (record.Generation == assignment.Generation && Posix.StartTime(record.Pid) == record.StartTime)
                    {
                        adopted = ProcessDriver.Adopt(record.Pid, record.StartTime);
                        state.Restarts = record.Restarts;
                        state.StartedAt = record.StartedAt;
                        LogAdopted(_log, assignment.Pod, container.Name, record.Pid);
                    }
                    else if (Posix.StartTime(record.Pid) == record.StartTime)
                    {
                        Posix.SignalGroup(record.Pid, Posix.SigKill); // A leftover of an older definition.
                    }
                }

                state.Loop = Task.Run(() => SuperviseAsync(driver, state, adopted, _run.Token), CancellationToken.None);
            }
        }
        finally
        {
            _applying.Release();
        }
    }

    private async Task SuperviseAsync(IRuntimeDriver driver, ContainerState state, ContainerHandle? adopted, CancellationToken ct)
    {
        var handle = adopted;
        while (!ct.IsCancellationRequested)
        {
            if (handle is null)
            {
                try
                {
                    var rootfs = _spec.Runtime == PodRuntime.Oci ? _images(state.Container.Image!) : null;
                    handle = await driver.StartAsync(new ContainerLaunch(_assignment.Pod, _directory, _spec, state.Container, _assignment.PodIP, _assignment.Ports,
                        Path.Combine(_directory, state.Container.Name + ".log"), rootfs), ct);
                    state.StartedAt = _time.GetUtcNow();
                    WriteRecord(state.Container.Name, new ContainerRecord(handle.Pid, handle.StartTime, _assignment.Generation, state.StartedAt.Value, state.Restarts));
                    LogStarted(_log, _assignment.Pod, state.Container.Name, handle.Pid);
                }
                catch (RuntimeException ex)
                {
                    state.Message = ex.Message;
                    state.Failed = true;
                    LogCannotRun(_log, _assignment.Pod, ex.Message);
                    return;
                }
            }

            state.Handle = handle;
            state.Running = true;
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
            var delay = restart ? state.Backoff.Next(state.StartedAt ?? _time.GetUtcNow()) : TimeSpan.Zero;

            // The message first, then the exit code, then "not running": a report read in between never
            // sees an exited container without knowing whether it restarts.
            state.Message = restart ? $"exited with code {exitCode}; restarting in {delay.TotalSeconds:0.#}s" : $"exited with code {exitCode}";
            state.ExitCode = exitCode;
            state.FinishedAt = _time.GetUtcNow();
            state.Running = false;
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

            state.Restarts++;
            handle = null;
        }
    }

    /// <summary>Stops every container (SIGTERM, grace period, SIGKILL) and waits for the supervision loops.</summary>
    public async Task StopAsync(CancellationToken ct)
    {
        await _run.CancelAsync();
        List<ContainerState> states;
        lock (_gate)
        {
            states = [.. _containers.Values];
            _containers.Clear();
        }

        var driver = _drivers(_spec.Runtime == PodRuntime.Process ? "process" : "oci");
        var grace = TimeSpan.FromSeconds(_assignment.GracePeriodSeconds);
        await Task.WhenAll(states.Select(async s =>
        {
            if (s.Loop is not null)
            {
                await s.Loop;
            }

            if (s.Handle is not null && driver is not null)
            {
                await driver.StopAsync(s.Handle, grace, ct);
            }

            DeleteRecord(s.Container.Name);
        }));
        LogStopped(_log, _assignment.Pod);
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
            s.Container.Name, s.Running ? "running" : s.Failed ? "failed" : s.ExitCode is null ? "starting" : "exited",
            s.Running ? s.Handle?.Pid : null, s.Restarts, s.ExitCode, s.StartedAt)).ToList();
        var restarts = states.Sum(s => s.Restarts);
        string phase;
        string? message;
        if (_failure is not null || states.Any(s => s.Failed))
        {
            phase = "Failed";
            message = _failure ?? states.First(s => s.Failed).Message;
        }
        else if (states.Count > 0 && states.All(s => s.Running))
        {
            phase = "Running";
            message = null;
        }
        else if (states.Count > 0 && states.All(s => !s.Running && s.ExitCode is not null && s.Message?.Contains("restarting", StringComparison.Ordinal) != true))
        {
            phase = states.All(s => s.ExitCode == 0) ? "Succeeded" : "Failed";
            message = string.Join("; ", states.Select(s => $"{s.Container.Name} {s.Message}"));
        }
        else
        {
            phase = "Pending";
            message = string.Join("; ", states.Where(s => !s.Running).Select(s => $"{s.Container.Name}: {s.Message ?? "starting"}"));
        }

        return new PodReport(_assignment.Pod, _assignment.Generation, phase, restarts, message, containers);
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
        Newtonsoft.Json.Linq.JToken.Parse(assignment.Spec.GetRawText()).ToObject<PodSpec>(ManifestJson.Serializer)
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

    private sealed class ContainerState(Container container, RestartBackoff backoff)
    {
        public Container Container { get; } = container;

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
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "{Pod}: container {Container} started (pid {Pid})")]
    private static partial void LogStarted(ILogger logger, string pod, string container, int pid);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Pod}: re-adopted container {Container} (pid {Pid}) left running by the previous agent")]
    private static partial void LogAdopted(ILogger logger, string pod, string container, int pid);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Pod}: container {Container} exited with code {Code}; {What}")]
    private static partial void LogExited(ILogger logger, string pod, string container, int code, string what);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Pod}: new definition {To} (was {From}): restarting in place")]
    private static partial void LogRestartInPlace(ILogger logger, string pod, string from, string to);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Pod}: stopped")]
    private static partial void LogStopped(ILogger logger, string pod);

    [LoggerMessage(Level = LogLevel.Error, Message = "{Pod}: cannot run: {Reason}")]
    private static partial void LogCannotRun(ILogger logger, string pod, string reason);
}
