namespace GitOrch.History.Tests.Support;

/// <summary>Fake time: a clock that says what the test sets, so stored times are exact.</summary>
public sealed class FixedTime(DateTimeOffset now) : TimeProvider
{
    public DateTimeOffset Now { get; set; } = now;

    public override DateTimeOffset GetUtcNow() => Now;
}
