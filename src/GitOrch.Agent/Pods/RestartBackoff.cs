namespace GitOrch.Agent.Pods;

/// <summary>Crash-restart delays: 1 s, doubling to 5 min; reset after 10 min of running without a crash.</summary>
public sealed class RestartBackoff(TimeProvider time)
{
    public static readonly TimeSpan First = TimeSpan.FromSeconds(1);
    public static readonly TimeSpan Max = TimeSpan.FromMinutes(5);
    public static readonly TimeSpan Healthy = TimeSpan.FromMinutes(10);

    private TimeSpan _next = First;

    /// <summary>The delay before the next restart, given when the crashed run started.</summary>
    public TimeSpan Next(DateTimeOffset startedAt)
    {
        if (time.GetUtcNow() - startedAt >= Healthy)
        {
            _next = First;
        }

        var delay = _next;
        _next = TimeSpan.FromTicks(Math.Min(Max.Ticks, _next.Ticks * 2));
        return delay;
    }
}
