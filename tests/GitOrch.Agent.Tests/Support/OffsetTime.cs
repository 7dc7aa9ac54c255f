namespace GitOrch.Agent.Tests.Support;

/// <summary>The system clock plus an offset the test moves forward ("a minute passes"); timers stay real.</summary>
internal sealed class OffsetTime : TimeProvider
{
    private long _offsetTicks;

    public void Advance(TimeSpan by) => Interlocked.Add(ref _offsetTicks, by.Ticks);

    public override DateTimeOffset GetUtcNow() => System.GetUtcNow() + TimeSpan.FromTicks(Interlocked.Read(ref _offsetTicks));
}
