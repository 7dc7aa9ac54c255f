using System.Threading.Channels;
using GitOrch.Core.Diagnostics;
using GitOrch.Core.Workflow;
using GitOrch.Workflow.Model;
using GitOrch.Workflow.Store;

namespace GitOrch.Workflow.Execution;

/// <summary>
/// Runs transactions with systemd semantics. A unit starts when every unit ordered before it has
/// finished, whatever the outcome (ordering); it fails as <c>dependency-failed</c> when a unit it
/// requires fails (requirement); a wanted unit's failure does not matter. Targets are reached as
/// soon as they may start. Steps run on a bounded pool, each attempt under its timeout, failed
/// attempts retried with jittered exponential backoff up to the step's limit. A newer transaction
/// for the same object supersedes the older one: its running steps are cancelled.
/// </summary>
public sealed class WorkflowEngine : IAsyncDisposable
{
    private readonly WorkflowStore _store;
    private readonly IStepRunner _runner;
    private readonly TimeProvider _time;
    private readonly EngineOptions _options;
    private readonly Lock _gate = new();
    private readonly Dictionary<ObjectRef, Transaction> _active = [];
    private readonly Dictionary<(long, string), CancellationTokenSource> _running = [];
    private readonly HashSet<(long, string)> _wakes = [];
    /// <summary>Wake requests not yet served: an owner's steps in one object's transaction, or in every one (no object).</summary>
    private readonly System.Collections.Concurrent.ConcurrentDictionary<(string Owner, ObjectRef? Object), byte> _wakeRequests = new();
    private int _wakeQueued;
    /// <summary>Units whose delay ran out, to be pumped by one pass (<see cref="PumpDue"/>).</summary>
    private readonly System.Collections.Concurrent.ConcurrentQueue<(Transaction T, string Unit)> _due = new();
    /// <summary>Units waiting out a retry's backoff or a requeue's delay, by when they fall due.</summary>
    private readonly DueTimes<(Transaction T, string Unit)> _waits;
    private int _dueQueued;
    private const int DueBatch = 256;
    private readonly Channel<(Transaction, Unit)> _ready = Channel.CreateUnbounded<(Transaction, Unit)>();
    private readonly CancellationTokenSource _stopping = new();
    private readonly List<Task> _workers = [];
    private readonly Task _flusher;
    private TaskCompletionSource _idle = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private TaskCompletionSource _quiet = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public WorkflowEngine(WorkflowStore store, IStepRunner runner, TimeProvider time, EngineOptions? options = null)
    {
        _store = store;
        _runner = runner;
        _time = time;
        _options = options ?? new EngineOptions();
        _idle.TrySetResult();
        _quiet.TrySetResult();
        _waits = new DueTimes<(Transaction T, string Unit)>(time, FallDue);
        for (var i = 0; i < _options.Concurrency; i++)
        {
            _workers.Add(Task.Run(WorkAsync));
        }

        _flusher = Task.Run(FlushLoopAsync);
    }

    /// <summary>Steps started since the engine started (for benchmarks).</summary>
    public long StepsRun => Interlocked.Read(ref _stepsRun);

    private long _stepsRun;

    /// <summary>Starts a transaction for an object, superseding its active one.</summary>
    public Transaction Start(ObjectRef obj, string? commit, IReadOnlyList<Unit> units) => StartMany([(obj, commit, units)])[0];

    /// <summary>Starts many transactions, written to the store in one batch (a whole commit's objects).</summary>
    public IReadOnlyList<Transaction> StartMany(IReadOnlyList<(ObjectRef Object, string? Commit, IReadOnlyList<Unit> Units)> starts)
    {
        var now = _time.GetUtcNow();
        foreach (var unit in starts.SelectMany(s => s.Units))
        {
            unit.Since = now;
        }

        var ids = _store.CreateMany(starts, now);
        var started = new List<Transaction>(starts.Count);
        for (var i = 0; i < starts.Count; i++)
        {
            started.Add(Begin(ids[i], starts[i].Object, starts[i].Commit, starts[i].Units, now));
        }

        return started;
    }

    private Transaction Begin(long id, ObjectRef obj, string? commit, IReadOnlyList<Unit> units, DateTimeOffset now)
    {
        var transaction = new Transaction { Id = id, Object = obj, Commit = commit, CreatedAt = now, Units = units };
        lock (_gate)
        {
            if (_active.TryGetValue(obj, out var previous))
            {
                Supersede(previous, id);
            }

            _active[obj] = transaction;
            if (_idle.Task.IsCompleted)
            {
                _idle = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }

            Log(transaction, "-", 0, "info", $"transaction {id} started for {obj.Display}{(commit is null ? string.Empty : " at commit " + commit[..Math.Min(12, commit.Length)])}: {units.Count} unit(s)");
            Pump(transaction);
        }

        return transaction;
    }

    /// <summary>Picks up transactions that were active when the controller stopped: running steps run again.</summary>
    public int Resume()
    {
        var active = _store.LoadActive();
        lock (_gate)
        {
            foreach (var transaction in active)
            {
                foreach (var unit in transaction.Units.Where(u => u.State == UnitState.Running))
                {
                    unit.State = UnitState.Waiting;
                    unit.Message = "interrupted by a controller restart; runs again (loops are idempotent)";
                    unit.NextAttemptAt = null;
                }

                if (_idle.Task.IsCompleted)
                {
                    _idle = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                }

                _active[transaction.Object] = transaction;
                Pump(transaction);
            }
        }

        return active.Count;
    }

    /// <summary>Stops an object's workflow (the object was deleted): its active transaction is superseded.</summary>
    public void Cancel(ObjectRef obj, string reason)
    {
        lock (_gate)
        {
            if (_active.Remove(obj, out var transaction))
            {
                Supersede(transaction, null, reason);
                CheckIdle();
            }
        }
    }

    /// <summary>The object's current transaction: the active one, else the newest stored one.</summary>
    public Transaction? Current(ObjectRef obj)
    {
        lock (_gate)
        {
            if (_active.TryGetValue(obj, out var active))
            {
                return active;
            }
        }

        return _store.Latest(obj);
    }

    /// <summary>
    /// Runs now every waiting step of <paramref name="owner"/> whose requeue is pending (a retry after
    /// a failure keeps its backoff), and a running one again as soon as it answers "not yet":
    /// something it waits for changed (a node joined, room was freed), so it need not wait out its
    /// delay. Requests that arrive before the pass runs are served by it: a burst costs one pass over
    /// the active transactions. Never blocks the caller, which may hold locks of its own.
    /// </summary>
    public void WakeWaiting(string owner)
    {
        _wakeRequests.TryAdd((owner, null), 0);
        QueueWake();
    }

    /// <summary>
    /// Like <see cref="WakeWaiting(string)"/>, for the steps of <paramref name="owner"/> in the
    /// transactions of <paramref name="objects"/> only: something one object's step waits for
    /// changed (one of a PinnedDeployment's pods reported its phase). Costs the objects named, not
    /// every active transaction.
    /// </summary>
    public void WakeWaiting(string owner, IEnumerable<ObjectRef> objects)
    {
        foreach (var obj in objects)
        {
            _wakeRequests.TryAdd((owner, obj), 0);
        }

        QueueWake();
    }

    private void QueueWake()
    {
        if (Interlocked.Exchange(ref _wakeQueued, 1) == 0)
        {
            ThreadPool.UnsafeQueueUserWorkItem(_ => WakeNow(), null);
        }
    }

    private void WakeNow()
    {
        Interlocked.Exchange(ref _wakeQueued, 0); // A full fence: the requests are read after the flag is free, so none added meanwhile is missed.
        var owners = new HashSet<string>(StringComparer.Ordinal);
        var units = new List<(string Owner, ObjectRef Object)>();
        foreach (var request in _wakeRequests.Keys)
        {
            if (!_wakeRequests.TryRemove(request, out _))
            {
                continue; // Another pass took it.
            }

            if (request.Object is { } obj)
            {
                units.Add((request.Owner, obj));
            }
            else
            {
                owners.Add(request.Owner);
            }
        }

        lock (_gate)
        {
            if (_stopping.IsCancellationRequested)
            {
                return;
            }

            if (owners.Count > 0)
            {
                foreach (var t in _active.Values.ToList())
                {
                    Wake(t, owners.Contains);
                }
            }

            foreach (var (owner, obj) in units)
            {
                if (!owners.Contains(owner) && _active.TryGetValue(obj, out var t))
                {
                    Wake(t, o => o == owner);
                }
            }
        }
    }

    /// <summary>
    /// Wakes the units of <paramref name="t"/> whose owner <paramref name="matches"/>: a waiting one
    /// runs now; a running one runs again as soon as it answers "not yet" (it may have read the state
    /// from before the change). Under the lock.
    /// </summary>
    private void Wake(Transaction t, Func<string, bool> matches)
    {
        var woken = false;
        foreach (var unit in t.Units)
        {
            if (!matches(unit.Owner))
            {
                continue;
            }

            if (unit.State == UnitState.Waiting && unit.NextAttemptAt is not null && !unit.LastRunFailed)
            {
                unit.NextAttemptAt = null;
                _wakes.Remove((t.Id, unit.Name)); // It still falls due, harmlessly; a new delay may get its own.
                woken = true;
            }
            else if (unit.State == UnitState.Running && unit.InRunner)
            {
                unit.WokenWhileRunning = true; // One only queued (not InRunner) will read the state as it is when a worker takes it up.
            }
        }

        if (woken)
        {
            Pump(t);
        }
    }

    public IReadOnlyList<StepLog> Logs(ObjectRef obj, int limit = 1000, long? transaction = null) => _store.Logs(obj, limit, transaction);

    /// <summary>Completes when no transaction is active (every unit finished).</summary>
    public Task WhenIdleAsync(CancellationToken ct)
    {
        lock (_gate)
        {
            return _idle.Task.WaitAsync(ct);
        }
    }

    /// <summary>
    /// Completes when no step is running: every unit is finished, or waits for its ordering, a
    /// retry or a requeue. A point where state stops moving by itself, for tests and tools.
    /// </summary>
    public Task WhenQuietAsync(CancellationToken ct)
    {
        lock (_gate)
        {
            return _quiet.Task.WaitAsync(ct);
        }
    }

    public int ActiveCount
    {
        get
        {
            lock (_gate)
            {
                return _active.Count;
            }
        }
    }

    // ---- the state machine (under _gate) -------------------------------------------------------

    private void Pump(Transaction t)
    {
        var now = _time.GetUtcNow();
        for (var changed = true; changed;)
        {
            changed = false;
            foreach (var unit in t.Units.Where(u => u.State == UnitState.Waiting))
            {
                if (unit.NextAttemptAt is { } due && due > now)
                {
                    Wake(t, unit, due - now); // Timers may fire a little early: never leave a due unit without a wake.
                    continue;
                }

                if (unit.After.Select(t.Find).Any(p => p is not null && !p.State.IsTerminal()))
                {
                    continue;
                }

                if (unit.Requires.Select(t.Find).FirstOrDefault(r => r is not null && r.State.IsFailure()) is { } cause)
                {
                    Finish(t, unit, UnitState.DependencyFailed, $"required unit {cause.Name} is {cause.State.ToText()}{(cause.Message is null ? string.Empty : ": " + cause.Message)}");

                    changed = true;
                    continue;
                }

                if (unit.Type == UnitType.Target)
                {
                    unit.StartedAt ??= now;
                    Finish(t, unit, UnitState.Done, "reached");
                    changed = true;
                    continue;
                }

                // A retry or requeue of a step in progress keeps its clock: "waiting for" and "running
                // for" count the time since the step left pending, the same span as its TOOK.
                if (unit.StartedAt is null)
                {
                    unit.Since = now;
                }

                unit.State = UnitState.Running;
                unit.StartedAt ??= now;
                unit.NextAttemptAt = null;
                unit.Attempts++;
                var cts = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
                _running[(t.Id, unit.Name)] = cts;
                if (_quiet.Task.IsCompleted)
                {
                    _quiet = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                }

                _ready.Writer.TryWrite((t, unit));
                changed = true;
            }
        }

        _store.MarkDirty(t);
        CheckQuiet();
        if (t.IsFinished)
        {
            if (_active.TryGetValue(t.Object, out var current) && current.Id == t.Id)
            {
                _active.Remove(t.Object);
            }

            Log(t, "-", 0, t.State == "done" ? "info" : "warning", $"transaction {t.Id} {t.State}");
            CheckIdle();
        }
    }

    private void Finish(Transaction t, Unit unit, UnitState state, string message)
    {
        var now = _time.GetUtcNow();
        unit.State = state;
        unit.Message = message;
        unit.EndedAt = now;
        unit.Since = now;
        unit.NextAttemptAt = null;
        Log(t, unit.Name, unit.Attempts, state.IsFailure() ? "error" : "info", $"{state.ToText()}: {message}");
        if (!state.IsFailure())
        {
            return;
        }

        // Units that require this one fail with it; running ones are cancelled.
        foreach (var dependent in t.Units.Where(u => u.Requires.Contains(unit.Name) && !u.State.IsTerminal()))
        {
            if (dependent.State == UnitState.Running && _running.Remove((t.Id, dependent.Name), out var cts))
            {
                cts.Cancel();
                cts.Dispose();
            }

            Finish(t, dependent, UnitState.DependencyFailed, $"required unit {unit.Name} is {state.ToText()}: {message}");
        }
    }

    private void Supersede(Transaction t, long? by, string? reason = null)
    {
        t.Superseded = true;
        var why = reason ?? $"superseded by transaction {by}";
        foreach (var unit in t.Units.Where(u => !u.State.IsTerminal()))
        {
            if (_running.Remove((t.Id, unit.Name), out var cts))
            {
                cts.Cancel();
                cts.Dispose();
            }

            unit.State = UnitState.Skipped;
            unit.Message = why;
            unit.EndedAt = _time.GetUtcNow();
            unit.Since = unit.EndedAt;
        }

        Log(t, "-", 0, "info", $"transaction {t.Id} {why}");
        _store.MarkDirty(t);
        CheckQuiet();
    }

    private void Completed(Transaction t, Unit unit, StepOutcome outcome, bool timedOut)
    {
        unit.InRunner = false;
        if (!_running.Remove((t.Id, unit.Name), out var cts))
        {
            return; // Cancelled meanwhile (superseded, or a requirement failed): its state is already set.
        }

        unit.LastRunFailed = outcome.Kind is not (StepOutcomeKind.Done or StepOutcomeKind.Requeue);
        if (outcome.Kind != StepOutcomeKind.Requeue)
        {
            unit.WokenWhileRunning = false; // Only a "not yet" waits on what the wake announced.
        }

        cts.Dispose();
        var now = _time.GetUtcNow();
        switch (outcome.Kind)
        {
            case StepOutcomeKind.Done:
                unit.WaitLogged = null;
                Finish(t, unit, UnitState.Done, outcome.Message);
                break;
            case StepOutcomeKind.Requeue:
                // A step that keeps saying the same "not yet" logs it once (per controller process):
                // its message, attempts and next attempt show it is still waiting, and the log does
                // not grow by a line per poll.
                unit.State = UnitState.Waiting;
                unit.Message = outcome.Message;
                unit.NextAttemptAt = now + outcome.RequeueAfter!.Value;
                if (unit.WaitLogged != outcome.Message)
                {
                    Log(t, unit.Name, unit.Attempts, "info", $"not yet: {outcome.Message}; again in {outcome.RequeueAfter.Value.TotalSeconds:0.#}s");
                    unit.WaitLogged = outcome.Message;
                }

                if (unit.WokenWhileRunning)
                {
                    // What it waits for changed while it ran: it runs again now (the pump below).
                    unit.WokenWhileRunning = false;
                    unit.NextAttemptAt = null;
                }
                else
                {
                    Wake(t, unit, outcome.RequeueAfter.Value);
                }

                break;
            default:
                unit.WaitLogged = null; // A "not yet" after a failure is news again.
                unit.Failures++;
                var state = timedOut ? UnitState.TimedOut : UnitState.Failed;
                if (unit.Failures < unit.MaxAttempts)
                {
                    var delay = Backoff(unit.Failures);
                    unit.State = UnitState.Waiting;
                    unit.Message = $"attempt {unit.Attempts} {(timedOut ? "timed out" : "failed")}: {outcome.Message}; retry {unit.Failures + 1}/{unit.MaxAttempts} in {delay.TotalSeconds:0.##}s";
                    unit.NextAttemptAt = now + delay;
                    Log(t, unit.Name, unit.Attempts, "warning", unit.Message);
                    Wake(t, unit, delay);
                }
                else
                {
                    Finish(t, unit, state, unit.MaxAttempts > 1 ? $"{outcome.Message} (after {unit.Failures} attempts)" : outcome.Message);
                }

                break;
        }

        Pump(t);
    }

    /// <summary>Pumps the transaction again after <paramref name="after"/>; at most one pending wake per unit.</summary>
    private void Wake(Transaction t, Unit unit, TimeSpan after)
    {
        if (!_wakes.Add((t.Id, unit.Name)))
        {
            return;
        }

        _waits.Add((t, unit.Name), after);
    }

    /// <summary>A unit's wait ran out: it goes to the next due pass.</summary>
    private void FallDue((Transaction T, string Unit) due)
    {
        _due.Enqueue(due);
        QueueDuePass();
    }

    /// <summary>Starts a pass over the due units unless one is queued or running (it holds the flag).</summary>
    private void QueueDuePass()
    {
        if (Interlocked.Exchange(ref _dueQueued, 1) == 0)
        {
            ThreadPool.UnsafeQueueUserWorkItem(_ => PumpDue(), null);
        }
    }

    /// <summary>
    /// Pumps the transactions whose delays ran out. Retries fall due together (10,000 pods tried in
    /// one apply are retried in the same seconds): a pass takes one batch of them under the lock,
    /// instead of a thread pool item each waiting for the lock, which the pool answers with threads.
    /// A pass that leaves more queues the next one behind whatever else waits for the pool, so a wave
    /// does not hold the lock against the workers and readers for all its batches in a row.
    /// </summary>
    private void PumpDue()
    {
        var batch = new List<(Transaction T, string Unit)>(DueBatch);
        while (batch.Count < DueBatch && _due.TryDequeue(out var due))
        {
            batch.Add(due);
        }

        lock (_gate)
        {
            if (_stopping.IsCancellationRequested)
            {
                return;
            }

            foreach (var (t, unit) in batch)
            {
                PumpWoken(t, unit);
            }
        }

        if (!_due.IsEmpty)
        {
            ThreadPool.UnsafeQueueUserWorkItem(_ => PumpDue(), null); // Still this pass's turn: the flag stays taken.
            return;
        }

        // Hand the flag back, then look again: Exchange is a full fence, so an item queued before it
        // is seen here, and one queued after it finds the flag free and starts a pass of its own.
        Interlocked.Exchange(ref _dueQueued, 0);
        if (!_due.IsEmpty)
        {
            QueueDuePass();
        }
    }

    /// <summary>
    /// One woken unit's pump, under the lock. A failure here is a defect, not a step's failure: it is
    /// written to the unit's log (what `why` and `logs` show), the unit is woken again in a second,
    /// and the rest of the batch still runs.
    /// </summary>
    private void PumpWoken(Transaction t, string unit)
    {
        _wakes.Remove((t.Id, unit));
        if (t.Superseded)
        {
            return;
        }

        try
        {
            Pump(t);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException && t.Find(unit) is { } woken)
        {
            Log(t, unit, woken.Attempts, "error", $"the engine could not pump this transaction ({ex.GetType().Name}: {ex.Message}); trying again in 1s");
            Wake(t, woken, TimeSpan.FromSeconds(1));
        }
    }

    private TimeSpan Backoff(int failures)
    {
        var seconds = _options.RetryBase.TotalSeconds * Math.Pow(2, Math.Min(failures - 1, 20));
        seconds = Math.Min(seconds, _options.MaxRetryDelay.TotalSeconds);
        return TimeSpan.FromSeconds(seconds * (0.8 + (Random.Shared.NextDouble() * 0.4)));
    }

    private void CheckIdle()
    {
        if (_active.Count == 0)
        {
            _idle.TrySetResult();
        }

        CheckQuiet();
    }

    private void CheckQuiet()
    {
        if (_running.Count == 0)
        {
            _quiet.TrySetResult();
        }
    }

    private void Log(Transaction t, string step, int attempt, string level, string message) =>
        _store.Append(new StepLog(_time.GetUtcNow(), t.Object, step, t.Commit, t.Id, attempt, level, message));

    // ---- workers -----------------------------------------------------------------------------

    private async Task WorkAsync()
    {
        await foreach (var (t, unit) in _ready.Reader.ReadAllAsync(CancellationToken.None))
        {
            CancellationToken cancel;
            int attempt;
            lock (_gate)
            {
                if (!_running.TryGetValue((t.Id, unit.Name), out var cts))
                {
                    continue;
                }

                // The token, not the source: supersession may dispose the source as soon as the lock is released.
                cancel = cts.Token;
                attempt = unit.Attempts;
                unit.InRunner = true;
            }

            Interlocked.Increment(ref _stepsRun);
            using var timeout = unit.TimeoutSeconds > 0 ? new CancellationTokenSource(TimeSpan.FromSeconds(unit.TimeoutSeconds), _time) : new CancellationTokenSource();
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancel, timeout.Token);
            StepOutcome outcome;
            var timedOut = false;
            try
            {
                var invocation = new StepInvocation(t, unit, attempt, (level, message) => Log(t, unit.Name, attempt, level, message));
                outcome = await _runner.RunAsync(invocation, linked.Token);
            }
            catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancel.IsCancellationRequested)
            {
                timedOut = true;
                outcome = StepOutcome.Failed($"did not finish within {unit.TimeoutSeconds}s (timeoutSeconds); the attempt was cancelled");
            }
            catch (OperationCanceledException) when (cancel.IsCancellationRequested)
            {
                continue; // Superseded, stopped, or a requirement failed: the state is set elsewhere.
            }
#pragma warning disable CA1031 // A loop's bug is a failed step, never a dead worker.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                outcome = StepOutcome.Failed($"{ex.GetType().Name}: {ex.Message}");
            }

            lock (_gate)
            {
                Completed(t, unit, outcome, timedOut);
            }
        }
    }

    private async Task FlushLoopAsync()
    {
        while (!_stopping.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(_options.FlushInterval, _time, _stopping.Token);
            }
            catch (OperationCanceledException)
            {
                break;
            }

            TryFlush();
        }
    }

    /// <summary>The last failure to write step states and logs to the state (a full disk), or null; they stay queued and are written at the next flush that works.</summary>
    public string? LastFlushError { get; private set; }

    private void TryFlush()
    {
        try
        {
            _store.Flush();
            LastFlushError = null;
        }
        catch (Exception ex) when (ex is Microsoft.Data.Sqlite.SqliteException or IOException or Core.State.JournalRefusedException)
        {
            LastFlushError = $"cannot write workflow state: {ex.Message}";
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        _waits.Dispose();
        _ready.Writer.TryComplete();
        try
        {
            await Task.WhenAll(_workers.Append(_flusher));
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }

        TryFlush();
        lock (_gate)
        {
            foreach (var cts in _running.Values)
            {
                cts.Dispose();
            }

            _running.Clear();
        }

        _stopping.Dispose();
    }
}
