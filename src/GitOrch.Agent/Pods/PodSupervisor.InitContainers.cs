using System.Text.Json;
using GitOrch.Agent.Native;
using GitOrch.Agent.Runtimes;
using GitOrch.Core.AgentApi;
using GitOrch.Core.Manifests;
using Microsoft.Extensions.Logging;

namespace GitOrch.Agent.Pods;

/// <summary>
/// Init containers: before a generation's containers start, its init containers run one at a time,
/// in order, each to exit 0, with the pod's volumes and network namespace. A failed one runs again
/// after the restart backoff (restartPolicy Always or OnFailure) or fails the pod (Never). Progress
/// is kept on disk (<see cref="InitProgress"/>), so an agent restart neither repeats finished ones
/// nor skips the rest, and a reboot runs them all again before the containers.
/// </summary>
public sealed partial class PodSupervisor
{
    /// <summary>How many of an init container's last output lines its report carries (for <c>why</c>).</summary>
    public const int InitOutputLines = 10;

    private const string InitProgressFile = "_init.json"; // '_' cannot start a container name: no clash with "<name>.json".

    private List<InitState> _inits = [];

    /// <summary>
    /// Sets up this generation's init states. True when nothing is left to run: no init containers,
    /// containers of this generation already running (re-adopted), or every init container done in
    /// this boot. An init container an earlier agent left running is killed: its exit code is
    /// unknowable, so it runs again.
    /// </summary>
    private bool PrepareInitContainers(bool adopt, bool containersAdopted)
    {
        var inits = (_spec.InitContainers ?? []).Select(c => new InitState(c, new RestartBackoff(_time))).ToList();
        var progress = adopt ? ReadInitProgress() : null;
        var finished = progress is not null && progress.Generation == _assignment.Generation && progress.BootId == BootId()
            ? progress.Completed.ToHashSet(StringComparer.Ordinal)
            : [];
        foreach (var init in inits)
        {
            if (containersAdopted || finished.Contains(init.Container.Name))
            {
                init.End("done", null, null, exitCode: 0);
            }

            if (ReadRecord(init.Container.Name) is { } record && Posix.StartTime(record.Pid) == record.StartTime)
            {
                Posix.SignalGroup(record.Pid, Posix.SigKill);
            }
        }

        if (!adopt)
        {
            File.Delete(Path.Combine(_directory, InitProgressFile));
        }

        lock (_gate)
        {
            _inits = inits;
        }

        return inits.All(i => i.State == "done");
    }

    /// <summary>Runs the init containers still to do, in order. False when the pod cannot go on (one failed for good) or it is stopping.</summary>
    private async Task<bool> RunInitContainersAsync(IRuntimeDriver driver, CancellationToken ct)
    {
        foreach (var init in _inits)
        {
            while (init.State != "done")
            {
                if (ct.IsCancellationRequested)
                {
                    return false;
                }

                var startedAt = _time.GetUtcNow();
                init.Begin(startedAt, RotatingLog.LengthOf(LogFile(init.Container.Name)));
                ContainerHandle handle;
                try
                {
                    var rootfs = _spec.Runtime == PodRuntime.Process ? null : _images(init.Container.Image!);
                    handle = await driver.StartAsync(new ContainerLaunch(_assignment.Pod, _directory, _spec, init.Container, _assignment.PodIP, _assignment.Ports,
                        LogFile(init.Container.Name), rootfs), ct);
                }
                catch (RuntimeException ex)
                {
                    init.End("failed", ex.Message, _time.GetUtcNow());
                    LogCannotRun(_log, _assignment.Pod, ex.Message);
                    Notify();
                    return false;
                }
                catch (OperationCanceledException) when (ct.IsCancellationRequested)
                {
                    init.End("waiting", null, null);
                    return false;
                }

                init.Handle = handle;
                WriteRecord(init.Container.Name, new ContainerRecord(handle.Pid, handle.StartTime, _assignment.Generation, startedAt, init.Attempts - 1));
                LogInitStarted(_log, _assignment.Pod, init.Container.Name, init.Attempts, handle.Pid);
                Notify();
                int exitCode;
                try
                {
                    exitCode = await handle.Exited.WaitAsync(ct);
                }
                catch (OperationCanceledException)
                {
                    return false; // Stopping (StopAsync ends it) or the agent going away (the next agent runs it again).
                }

                init.Handle = null;
                await driver.StopAsync(handle, TimeSpan.Zero, CancellationToken.None); // Exited: releases what the runtime holds for it (runc state).
                DeleteRecord(init.Container.Name);
                var finishedAt = _time.GetUtcNow();
                if (exitCode == 0)
                {
                    init.End("done", $"exited with code 0 after {(finishedAt - startedAt).TotalSeconds:0.###}s", finishedAt, exitCode);
                    SaveInitProgress();
                    LogInitDone(_log, _assignment.Pod, init.Container.Name);
                    Notify();
                    continue;
                }

                if (_spec.RestartPolicy == RestartPolicy.Never)
                {
                    init.End("failed", $"init container {init.Container.Name} exited with code {exitCode} (restartPolicy Never: the pod fails)", finishedAt, exitCode);
                    LogInitFailed(_log, _assignment.Pod, init.Container.Name, exitCode, "the pod fails (restartPolicy Never)");
                    Notify();
                    return false;
                }

                var delay = init.Backoff.Next(startedAt);
                init.End("retrying", $"init container {init.Container.Name} exited with code {exitCode}; running it again in {delay.TotalSeconds:0.#}s", finishedAt, exitCode, _time.GetUtcNow() + delay);
                LogInitFailed(_log, _assignment.Pod, init.Container.Name, exitCode, $"again in {delay.TotalSeconds:0.#}s");
                Notify();
                try
                {
                    await Task.Delay(delay, _time, ct);
                }
                catch (OperationCanceledException)
                {
                    return false;
                }
            }
        }

        return true;
    }

    /// <summary>Ends a running init container (the pod is stopping or changing) and forgets the generation's progress.</summary>
    private async Task StopInitContainersAsync(IRuntimeDriver? driver, TimeSpan grace, CancellationToken ct)
    {
        List<InitState> inits;
        lock (_gate)
        {
            inits = _inits;
            _inits = [];
        }

        foreach (var init in inits)
        {
            if (init.Handle is { } handle && driver is not null)
            {
                await driver.StopAsync(handle, grace, ct);
            }

            DeleteRecord(init.Container.Name);
        }

        File.Delete(Path.Combine(_directory, InitProgressFile));
    }

    private List<InitContainerReport> InitReports()
    {
        List<InitState> inits;
        lock (_gate)
        {
            inits = _inits;
        }

        return inits.Select(i =>
        {
            var (report, logStart) = i.Read();

            // Its output since the attempt the report shows began, read outside the lock.
            return report.State is "waiting" || report.Attempts == 0 ? report : report with { LastLines = RotatingLog.TailSince(LogFile(i.Container.Name), logStart, InitOutputLines) };
        }).ToList();
    }

    /// <summary>The pod's phase while init containers are not all done: Pending (one runs or waits), CrashLoop (one waits in its backoff), Failed.</summary>
    private static (string Phase, string Message)? InitPhase(IReadOnlyList<InitContainerReport> inits)
    {
        var current = inits.Select((init, index) => (init, index)).FirstOrDefault(x => x.init.State != "done");
        if (current.init is null)
        {
            return null;
        }

        var (init, index) = current;
        var position = $"{index + 1}/{inits.Count}";
        var output = init.LastLines.Count > 0 ? $"; last output: {init.LastLines[^1]}" : string.Empty;
        return init.State switch
        {
            "failed" => ("Failed", (init.Message ?? $"init container {init.Name} failed") + output),
            "retrying" => ("CrashLoop", $"{init.Message} (init {position}){output}"),
            "running" => ("Pending", $"init container {init.Name} ({position}) running"),
            _ => ("Pending", $"init container {init.Name} ({position}) waiting"),
        };
    }

    private InitProgress? ReadInitProgress()
    {
        var path = Path.Combine(_directory, InitProgressFile);
        try
        {
            return File.Exists(path) ? JsonSerializer.Deserialize<InitProgress>(File.ReadAllText(path)) : null;
        }
        catch (JsonException)
        {
            return null; // Unreadable: run them all again, which is always safe.
        }
    }

    private void SaveInitProgress()
    {
        var path = Path.Combine(_directory, InitProgressFile);
        var progress = new InitProgress(_assignment.Generation, BootId(), [.. _inits.Where(i => i.State == "done").Select(i => i.Container.Name)]);
        using (var stream = new FileStream(path + ".tmp", Storage.StateFiles.PrivateWrite(FileMode.Create))) // 0600, like every state file
        {
            JsonSerializer.Serialize(stream, progress);
            stream.Flush(flushToDisk: true);
        }

        File.Move(path + ".tmp", path, overwrite: true);
    }

    /// <summary>The kernel's id of this boot: a progress record from another boot does not count (after a reboot the pod starts from its init containers).</summary>
    private static string BootId()
    {
        try
        {
            return File.ReadAllText("/proc/sys/kernel/random/boot_id").Trim();
        }
        catch (IOException)
        {
            return string.Empty;
        }
    }

    private sealed class InitState(Container container, RestartBackoff backoff)
    {
        public Container Container { get; } = container;

        public RestartBackoff Backoff { get; } = backoff;

        // Held while an attempt's fields change together (Begin, End) and while a report reads them
        // (Read): a report never shows a new attempt's count with the last attempt's state and output.
        private readonly Lock _gate = new();

        public string State { get; private set; } = "waiting";

        public int Attempts { get; private set; }

        /// <summary>The length of its log when the current attempt started: its last output is what came after.</summary>
        public long LogStart { get; private set; }

        public int? ExitCode { get; private set; }

        public DateTimeOffset? StartedAt { get; private set; }

        public DateTimeOffset? FinishedAt { get; private set; }

        public DateTimeOffset? RetryAt { get; private set; }

        public string? Message { get; private set; }

        public ContainerHandle? Handle { get; set; }

        /// <summary>A new attempt starts: its count, start time and log offset, and "running".</summary>
        public void Begin(DateTimeOffset at, long logStart)
        {
            lock (_gate)
            {
                Attempts++;
                LogStart = logStart;
                StartedAt = at;
                FinishedAt = null;
                RetryAt = null;
                ExitCode = null;
                Message = null;
                State = "running";
            }
        }

        /// <summary>The attempt ends in <paramref name="state"/> (after <see cref="Begin"/>, whose cleared fields the nulls keep).</summary>
        public void End(string state, string? message, DateTimeOffset? finishedAt, int? exitCode = null, DateTimeOffset? retryAt = null)
        {
            lock (_gate)
            {
                FinishedAt = finishedAt;
                ExitCode = exitCode;
                RetryAt = retryAt;
                Message = message;
                State = state;
            }
        }

        /// <summary>The report of the attempt as it stands (without its output) and where that attempt's output starts in the log.</summary>
        public (InitContainerReport Report, long LogStart) Read()
        {
            lock (_gate)
            {
                return (new InitContainerReport(Container.Name, State, Attempts, ExitCode, StartedAt, FinishedAt, RetryAt, Message, []), LogStart);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "{Pod}: init container {Container} started (attempt {Attempt}, pid {Pid})")]
    private static partial void LogInitStarted(ILogger logger, string pod, string container, int attempt, int pid);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Pod}: init container {Container} exited with code 0")]
    private static partial void LogInitDone(ILogger logger, string pod, string container);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Pod}: init container {Container} exited with code {Code}; {What}")]
    private static partial void LogInitFailed(ILogger logger, string pod, string container, int code, string what);
}
