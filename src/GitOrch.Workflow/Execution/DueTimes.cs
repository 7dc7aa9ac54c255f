namespace GitOrch.Workflow.Execution;

/// <summary>
/// Items that fall due at given times, served by one timer armed for the earliest. A controller
/// with 10,000 unplaced pods keeps about as many steps waiting to be tried again: a timer and a
/// delay task each (about 500 bytes, and a timer queue the runtime walks) against one queue entry
/// here. An item falls due once; one whose wait was cut short falls due anyway, and the caller
/// ignores it.
/// </summary>
internal sealed class DueTimes<T> : IDisposable
{
    private readonly TimeProvider _time;
    private readonly Action<T> _due;
    private readonly Lock _gate = new();
    private readonly PriorityQueue<T, DateTimeOffset> _queue = new();
    private readonly ITimer _timer;
    private bool _disposed;

    /// <summary>The longest a timer can be armed for (0xFFFFFFFE ms).</summary>
    internal const double MaxWaitMilliseconds = 4294967294;

    /// <param name="due">Called for each item when its time comes, on the timer's thread, outside the queue's lock.</param>
    public DueTimes(TimeProvider time, Action<T> due)
    {
        _time = time;
        _due = due;
        // The timer runs in no caller's async context: the engine's first caller's would otherwise
        // be kept, and flow into every firing, for the engine's whole life.
        using (ExecutionContext.SuppressFlow())
        {
            _timer = time.CreateTimer(static state => ((DueTimes<T>)state!).Fire(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        }
    }

    /// <summary>How many items wait (stale ones included).</summary>
    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _queue.Count;
            }
        }
    }

    /// <summary>Adds an item that falls due <paramref name="after"/> from now.</summary>
    public void Add(T item, TimeSpan after)
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            var now = _time.GetUtcNow();
            var at = after <= TimeSpan.Zero ? now : after >= DateTimeOffset.MaxValue - now ? DateTimeOffset.MaxValue : now + after;

            // The timer is armed for the earliest item whenever one waits: only a new earliest moves it.
            var earlier = !_queue.TryPeek(out _, out var armedFor) || at < armedFor;
            _queue.Enqueue(item, at);
            if (earlier)
            {
                Arm(at);
            }
        }
    }

    private void Fire()
    {
        List<T> due = [];
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            var now = _time.GetUtcNow();
            while (_queue.TryPeek(out var item, out var at) && at <= now)
            {
                _queue.Dequeue();
                due.Add(item);
            }

            if (_queue.TryPeek(out _, out var next))
            {
                Arm(next);
            }
        }

        foreach (var item in due)
        {
            _due(item);
        }
    }

    /// <summary>Arms the timer for <paramref name="at"/>; under the lock.</summary>
    private void Arm(DateTimeOffset at)
    {
        var wait = at - _time.GetUtcNow();

        // A timer's period is whole milliseconds: round up, so it does not fire before the time and
        // find nothing due (it would then arm itself again at once, and again). A timer takes at
        // most about 49 days: one for a later time fires then, finds nothing due and arms again.
        var ms = Math.Clamp(Math.Ceiling(wait.TotalMilliseconds), 1, MaxWaitMilliseconds);
        _timer.Change(TimeSpan.FromMilliseconds(ms), Timeout.InfiniteTimeSpan);
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _disposed = true;
            _queue.Clear();
        }

        _timer.Dispose();
    }
}
