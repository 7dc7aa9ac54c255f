using System.Collections.Concurrent;
using GitOrch.Controller.Snapshots;
using GitOrch.Controller.Source;
using GitOrch.Core.Diagnostics;
using GitOrch.Git;
using GitOrch.History.Mirror;
using GitOrch.History.Store;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace GitOrch.Controller.Mirror;

/// <summary>
/// Mirrors new versions into Git (<c>refs/gitorch/history</c>) and then prunes the store to
/// <c>history.keepVersions</c>, off the sync cycle: the cycle pokes it and returns. A failure is
/// shown in status (<c>mirrorError</c>) and retried on the next poke; nothing is pruned that the
/// mirror has not written.
/// </summary>
public sealed partial class MirrorService(HistoryMirror mirror, ConfigSource source, HistoryStore store, ConfigSnapshotProvider snapshots, State.StateGuard guard, ILogger<MirrorService> log) : BackgroundService
{
    private readonly SemaphoreSlim _poke = new(0, 1);
    private readonly SemaphoreSlim _running = new(1, 1);
    private readonly ConcurrentQueue<ObjectRef> _touched = new();
    private bool _prepared;
    private long? _lastMaintenance;
    private long _requested;
    private long _completed;

    public string? LastError { get; private set; }

    /// <summary>The newest sync cycle whose mirror pass has finished (a cycle is complete only then).</summary>
    public long CompletedCycles => Interlocked.Read(ref _completed);

    /// <summary>Asks for a mirror pass after sync cycle <paramref name="cycle"/>; objects it touched are pruned after the pass.</summary>
    public void Poke(IEnumerable<ObjectRef> touched, long cycle)
    {
        InterlockedMax(ref _requested, cycle);
        foreach (var obj in touched)
        {
            _touched.Enqueue(obj);
        }

        try
        {
            _poke.Release();
        }
        catch (SemaphoreFullException)
        {
            // Already poked.
        }
    }

    /// <summary>Reads where the mirror stands (once, before the first pass).</summary>
    public async Task PrepareAsync(CancellationToken ct)
    {
        if (!_prepared)
        {
            await mirror.PrepareAsync(ct);
            _prepared = true;
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                await _poke.WaitAsync(stoppingToken);
                await RunOnceAsync(stoppingToken);
                await HousekeepAsync();
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping: the next start catches up.
        }
    }

    /// <summary>One pass: catch up, push, prune.</summary>
    public async Task RunOnceAsync(CancellationToken ct)
    {
        await _running.WaitAsync(ct);
        var cycle = Interlocked.Read(ref _requested);
        try
        {
            try
            {
                await PrepareAsync(ct);
                var written = await mirror.CatchUpAsync(ct);
                if (written > 0)
                {
                    await source.PushMirrorAsync(HistoryMirror.Ref, ct);
                    LogMirrored(log, written, HistoryMirror.Ref);
                }

                LastError = null;
                Prune();
            }
            catch (Exception ex) when (ex is not OperationCanceledException && guard.StopIfGone())
            {
                // The state folder is gone: the guard stops the controller and says why.
                LastError = guard.StopReason;
                return;
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
            {
                // The store is the source of truth; the mirror catches up on a later pass. Whatever
                // failed is shown and logged: escaping would end the service, and the mirror would
                // stop without a word.
                LastError = ex.Message;
                LogMirrorError(log, ex, ex.Message);
            }
        }
        finally
        {
            InterlockedMax(ref _completed, cycle);
            _running.Release();
        }
    }

    /// <summary>
    /// The housekeeping of the clone of a remote config repo (STATE/source.git, GitOrch's own):
    /// packing what fetches and mirror commits left loose, when git's thresholds say so, at most
    /// once a minute and after the pass (fetches in the sync loop do none, so a repack never delays
    /// a commit). Never in a local repository, which belongs to its user and their git. Not
    /// cancelled: git is never killed halfway through, leaving lock files; on Ctrl+C it gets the
    /// signal with the rest of the terminal's process group and cleans up itself. A failure is
    /// logged and tried again later; the mirror itself is not affected.
    /// </summary>
    private async Task HousekeepAsync()
    {
        if (!source.IsRemote || _lastMaintenance is { } last && System.Diagnostics.Stopwatch.GetElapsedTime(last) < TimeSpan.FromMinutes(1))
        {
            return;
        }

        _lastMaintenance = System.Diagnostics.Stopwatch.GetTimestamp();
        try
        {
            await source.Repository.MaintainAsync(CancellationToken.None);
        }
        catch (GitException ex)
        {
            LogHousekeepingFailed(log, ex, ex.Message);
        }
    }

    private static void InterlockedMax(ref long field, long value)
    {
        long seen;
        while ((seen = Interlocked.Read(ref field)) < value && Interlocked.CompareExchange(ref field, value, seen) != seen)
        {
        }
    }

    private void Prune()
    {
        var touched = new HashSet<ObjectRef>();
        while (_touched.TryDequeue(out var obj))
        {
            touched.Add(obj);
        }

        if (snapshots.Current.ClusterPolicy?.Spec.History?.KeepVersions is not { } limit)
        {
            return; // Keep everything by default.
        }

        var left = new Queue<ObjectRef>(touched);
        try
        {
            while (left.TryPeek(out var obj))
            {
                store.Prune(obj, limit);
                left.Dequeue();
            }
        }
        catch (Exception ex) when (ex is StateException or IOException or Microsoft.Data.Sqlite.SqliteException && !guard.StopIfGone())
        {
            // What is not pruned yet is pruned after the next pass; the versions stay until then.
            foreach (var obj in left)
            {
                _touched.Enqueue(obj);
            }

            LogPruneError(log, ex, ex.Message);
        }
    }

    public override void Dispose()
    {
        _poke.Dispose();
        _running.Dispose();
        base.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Cannot prune the store to history.keepVersions yet (will retry after the next mirror pass): {Reason}")]
    private static partial void LogPruneError(ILogger logger, Exception ex, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Mirrored {Count} version batch(es) to {Ref}")]
    private static partial void LogMirrored(ILogger logger, int count, string @ref);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Cannot pack the config repo's clone (git gc --auto; tried again in a minute): {Reason}")]
    private static partial void LogHousekeepingFailed(ILogger logger, Exception ex, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Cannot write the history mirror yet (will retry): {Reason}")]
    private static partial void LogMirrorError(ILogger logger, Exception ex, string reason);
}
