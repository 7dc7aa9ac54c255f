using GitOrch.Controller.Mirror;
using GitOrch.Controller.Reconcile;
using GitOrch.Controller.Source;
using GitOrch.Controller.State;
using GitOrch.Controller.Workflows;
using GitOrch.Core.Manifests;
using GitOrch.Core.Retry;
using GitOrch.History.Store;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace GitOrch.Controller.Sync;

/// <summary>
/// The main loop: follow the branch (poll, or at once on a webhook), apply new commits, and hand
/// what they changed to the workflow starter and the mirror, then return; the next cycle never
/// waits for workflows or the mirror. Any failure (the source cannot be read, the state disk is
/// full) is logged with its exception, shown by <c>status</c> as <c>lastError</c>, and retried with
/// jittered backoff: polling never stops, and the backlog applies once the cause goes away. Only a
/// removed or replaced state folder stops it (<see cref="StateGuard.Stopped"/>).
/// </summary>
public sealed partial class SyncLoop(
    ControllerOptions options, Reconciler reconciler, WorkflowService workflows, WorkflowStarter starter,
    MirrorService mirror, StateGuard guard, TimeProvider time, ILogger<SyncLoop> log, Backoff? backoff = null) : BackgroundService
{
    private readonly SemaphoreSlim _trigger = new(0, 1);
    private readonly SemaphoreSlim _cycle = new(1, 1);
    private readonly Backoff _backoff = backoff ?? new Backoff(options.Poll, TimeSpan.FromMinutes(5));
    private bool _firstCycle = true;
    private bool _recheckApprovals;
    private DateTimeOffset _nextApprovalCheck = DateTimeOffset.MinValue;
    private long _cycles;

    public string? Head { get; private set; }

    public DateTimeOffset? LastSync { get; private set; }

    /// <summary>Why the last cycle failed, or why the controller stopped; null after a cycle that worked.</summary>
    public string? LastError
    {
        get => guard.StopReason ?? _lastError;
        private set => _lastError = value;
    }

    private string? _lastError;

    /// <summary>Cycles run (applied or failed); <see cref="MirrorService.CompletedCycles"/> counts those whose mirror pass also finished.</summary>
    public long Cycles => Interlocked.Read(ref _cycles);

    /// <summary>Asks for a sync now (a push webhook arrived).</summary>
    public void Trigger()
    {
        try
        {
            _trigger.Release();
        }
        catch (SemaphoreFullException)
        {
            // Already triggered.
        }
    }

    /// <summary>Asks the next cycle to re-check a commit that waits for a rollout approval (a review arrived), and runs it now.</summary>
    public void RecheckApprovals()
    {
        _recheckApprovals = true;
        Trigger();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var failures = 0;
        while (!stoppingToken.IsCancellationRequested && !guard.Stopped.IsCompleted)
        {
            bool ok;
            try
            {
                ok = await CycleAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }

            failures = ok ? 0 : failures + 1;
            var wait = failures == 0 ? options.Poll : _backoff.Delay(failures);
            using var timeout = new CancellationTokenSource(wait, time);
            using var either = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken, timeout.Token);
            try
            {
                await _trigger.WaitAsync(either.Token);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (OperationCanceledException) when (timeout.IsCancellationRequested)
            {
                // The poll interval (or the backoff) passed.
            }
        }
    }

    /// <summary>
    /// One cycle: apply what is new and queue what follows from it. Returns false when it failed
    /// (the reason is in <see cref="LastError"/>; a later cycle tries again).
    /// </summary>
    public async Task<bool> CycleAsync(CancellationToken ct)
    {
        await _cycle.WaitAsync(ct);
        var touched = new List<Core.Diagnostics.ObjectRef>();
        try
        {
            guard.Check();
            if (_firstCycle)
            {
                await mirror.PrepareAsync(ct);

                // Transactions interrupted by the last stop run on; before any new one starts.
                var resumed = workflows.Engine.Resume();
                if (resumed > 0)
                {
                    LogResumed(log, resumed);
                }
            }

            var outcomes = await reconciler.SyncAsync(ct);
            if (options.GitHub is not null && (_recheckApprovals || time.GetUtcNow() >= _nextApprovalCheck))
            {
                // A head commit that waits for a rollout approval: asked again when one may have
                // arrived (a review webhook, `gitorch sync`), and polled otherwise.
                _recheckApprovals = false;
                _nextApprovalCheck = time.GetUtcNow() + options.ApprovalPoll;
                if (await reconciler.RecheckApprovalAsync(ct) is { } rechecked)
                {
                    outcomes = [.. outcomes, rechecked];
                }
            }

            LastError = null;

            foreach (var outcome in outcomes.Where(o => o.Applied))
            {
                touched.AddRange(outcome.Changed);
                await starter.EnqueueAsync(new WorkflowStart(WorkflowStartKind.Changed, outcome.Changed, outcome.Commit), ct);
                if (outcome.Changed.Any(o => o.Kind is Kinds.ControlLoop or Kinds.Target))
                {
                    // New or changed loops and targets: re-plan what they touch.
                    await starter.EnqueueAsync(new WorkflowStart(WorkflowStartKind.Replan, [], outcome.Commit), ct);
                }
            }

            if (_firstCycle)
            {
                // Level-based recovery: objects that never got a workflow (a crash right after their version was written) get one.
                await starter.EnqueueAsync(new WorkflowStart(WorkflowStartKind.StartMissing, [], reconciler.LastApplied), ct);
                _firstCycle = false;
            }

            return true;
        }
        catch (Exception ex) when ((ex is not OperationCanceledException || !ct.IsCancellationRequested) && guard.StopIfGone())
        {
            // The state folder is gone: whatever failed (a disk I/O error from the deleted
            // database) is its symptom, and the guard says what happened, once.
            LastError = guard.StopReason;
            return false;
        }
        catch (Exception ex) when (ex is SourceException or GitOrch.Git.GitException or Forge.ForgeException)
        {
            LastError = ex.Message;
            LogSourceError(log, ex, ex.Message);
            return false;
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            // The state could not be written (disk full, I/O error) or anything unforeseen: shown, retried, never silent.
            LastError = $"cannot apply: {ex.Message} (retrying with backoff; the backlog applies once the cause is fixed)";
            LogApplyFailed(log, ex, ex.Message);
            return false;
        }
        finally
        {
            LastSync = time.GetUtcNow();
            Head = reconciler.Head ?? Head; // Known even when applying failed: status never says "up to date" while Git is ahead.
            mirror.Poke(touched, Interlocked.Increment(ref _cycles)); // The cycle is complete once this mirror pass is.
            _cycle.Release();
        }
    }

    public override void Dispose()
    {
        _trigger.Dispose();
        _cycle.Dispose();
        base.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Cannot read the config source: {Reason}")]
    private static partial void LogSourceError(ILogger logger, Exception ex, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Cannot apply new commits: {Reason}; retrying with backoff")]
    private static partial void LogApplyFailed(ILogger logger, Exception ex, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Resumed {Count} workflow transaction(s) interrupted by the last stop")]
    private static partial void LogResumed(ILogger logger, int count);
}
