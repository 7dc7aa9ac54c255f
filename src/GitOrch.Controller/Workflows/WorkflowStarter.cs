using System.Threading.Channels;
using GitOrch.Core.Retry;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace GitOrch.Controller.Workflows;

/// <summary>
/// Starts the workflows that applied commits call for, off the sync cycle: the cycle enqueues
/// (a bounded queue: a producer far ahead waits) and returns; this service starts them in chunks,
/// so a 10,000-object commit never holds the next commit or the API. Recovery at start
/// (<see cref="WorkflowService.StartMissing"/>) runs here too. A failure (the state disk is full)
/// is logged and retried with backoff; the request is never dropped.
/// </summary>
public sealed partial class WorkflowStarter(WorkflowService workflows, State.StateGuard guard, TimeProvider time, ILogger<WorkflowStarter> log) : BackgroundService
{
    public const int Capacity = 256;
    public const int Chunk = 500;

    private readonly Channel<WorkflowStart> _queue = Channel.CreateBounded<WorkflowStart>(new BoundedChannelOptions(Capacity) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
    private readonly Backoff _backoff = new(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(60));
    private readonly SemaphoreSlim _running = new(1, 1);
    private long _pending;

    /// <summary>The last failure to start workflows (null when the last attempt worked).</summary>
    public string? LastError { get; private set; }

    /// <summary>Requests waiting or being worked on.</summary>
    public long Pending => Interlocked.Read(ref _pending);

    public async ValueTask EnqueueAsync(WorkflowStart start, CancellationToken ct)
    {
        Interlocked.Increment(ref _pending);
        try
        {
            await _queue.Writer.WriteAsync(start, ct);
        }
        catch
        {
            Interlocked.Decrement(ref _pending);
            throw;
        }
    }

    /// <summary>Works off everything queued now (for <c>sync</c> and tests that need the cycle's whole effect).</summary>
    public async Task DrainAsync(CancellationToken ct)
    {
        while (Pending > 0)
        {
            if (await TryRunOneAsync(ct) is false)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(20), ct); // The hosted loop holds the request being worked on (a real wait for another thread, not a timer).
            }
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            while (await _queue.Reader.WaitToReadAsync(stoppingToken))
            {
                await TryRunOneAsync(stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping: queued starts are recovered at the next start (StartMissing).
        }
    }

    /// <summary>Runs the oldest request (retrying it until it works); false when another caller holds it.</summary>
    private async Task<bool> TryRunOneAsync(CancellationToken ct)
    {
        if (!await _running.WaitAsync(0, ct))
        {
            return false;
        }

        try
        {
            if (!_queue.Reader.TryRead(out var start))
            {
                return true;
            }

            for (var failures = 0; ; failures++)
            {
                try
                {
                    await RunAsync(start, ct);
                    LastError = null;
                    break;
                }
                catch (Exception ex) when (ex is not OperationCanceledException && guard.StopIfGone())
                {
                    // The state folder is gone: the guard stops the controller and says why.
                    LastError = guard.StopReason;
                    break;
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    LastError = $"cannot start workflows ({start.Kind}, commit {start.Commit}): {ex.Message}";
                    LogFailed(log, ex, start.Kind.ToString(), start.Commit);
                    await Task.Delay(_backoff.Delay(failures + 1), time, ct);
                }
            }

            Interlocked.Decrement(ref _pending);
            return true;
        }
        finally
        {
            _running.Release();
        }
    }

    private async Task RunAsync(WorkflowStart start, CancellationToken ct)
    {
        switch (start.Kind)
        {
            case WorkflowStartKind.Changed:
                for (var i = 0; i < start.Objects.Count; i += Chunk)
                {
                    ct.ThrowIfCancellationRequested();
                    workflows.OnChanged(start.Objects.Skip(i).Take(Chunk), start.Commit);
                    await Task.Yield();
                }

                break;
            case WorkflowStartKind.Replan:
                workflows.Replan(start.Commit, ct);
                break;
            case WorkflowStartKind.StartMissing:
                var started = workflows.StartMissing(start.Commit, ct);
                if (started > 0)
                {
                    LogRecovered(log, started);
                }

                break;
        }
    }

    public override void Dispose()
    {
        _running.Dispose();
        base.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Cannot start workflows ({Kind}) for commit {Commit}; retrying with backoff")]
    private static partial void LogFailed(ILogger logger, Exception ex, string kind, string? commit);

    [LoggerMessage(Level = LogLevel.Information, Message = "Started workflows for {Count} object(s) that had none (recovery at start)")]
    private static partial void LogRecovered(ILogger logger, int count);
}
