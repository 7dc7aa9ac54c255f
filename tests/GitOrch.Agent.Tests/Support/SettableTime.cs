namespace GitOrch.Agent.Tests.Support;

/// <summary>A clock that says what the test sets (timers stay real); for backoff arithmetic.</summary>
internal sealed class SettableTime(DateTimeOffset now) : TimeProvider
{
    public DateTimeOffset Now { get; set; } = now;

    public override DateTimeOffset GetUtcNow() => Now;
}
