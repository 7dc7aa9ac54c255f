using GitOrch.Workflow.Execution;
using Microsoft.Extensions.Time.Testing;

namespace GitOrch.Workflow.Tests.Execution;

/// <summary>The one timer behind every waiting step's retry and requeue, on a fake clock.</summary>
public sealed class DueTimesTests
{
    private static readonly DateTimeOffset Start = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private readonly FakeTimeProvider _time = new(Start);
    private readonly List<(string Item, DateTimeOffset At)> _fell = [];

    /// <summary>Items that fall due are recorded with the fake clock's time; <paramref name="then"/> runs after, on the timer's callback.</summary>
    private DueTimes<string> Create(TimeProvider? clock = null, Action<string>? then = null) => new(clock ?? _time, item =>
    {
        lock (_fell)
        {
            _fell.Add((item, _time.GetUtcNow()));
        }

        then?.Invoke(item);
    });

    private string[] Fell()
    {
        lock (_fell)
        {
            return [.. _fell.Select(f => f.Item)];
        }
    }

    [Fact]
    public void Items_FallDueAtTheirTime_InTimeOrder_NotBefore()
    {
        using var due = Create();
        due.Add("late", TimeSpan.FromSeconds(30));
        due.Add("soon", TimeSpan.FromSeconds(5));
        due.Add("middle", TimeSpan.FromSeconds(10));

        _time.Advance(TimeSpan.FromSeconds(5) - TimeSpan.FromTicks(1));
        Assert.Empty(Fell());

        _time.Advance(TimeSpan.FromTicks(1));
        Assert.Equal(["soon"], Fell());

        _time.Advance(TimeSpan.FromSeconds(5));
        Assert.Equal(["soon", "middle"], Fell());

        _time.Advance(TimeSpan.FromSeconds(19));
        Assert.Equal(["soon", "middle"], Fell());

        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(["soon", "middle", "late"], Fell());
        Assert.Equal(0, due.Count);
        Assert.Equal([5, 10, 30], _fell.Select(f => (f.At - Start).TotalSeconds));
    }

    [Fact]
    public void AWaitLongerThanATimerCanBeArmedFor_FallsDueAtItsTime_AndOthersStillDo()
    {
        using var due = Create();
        due.Add("in 60 days", TimeSpan.FromDays(60));
        due.Add("forever", TimeSpan.MaxValue);
        due.Add("in a second", TimeSpan.FromSeconds(1));

        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(["in a second"], Fell());

        _time.Advance(TimeSpan.FromDays(50)); // The timer's longest arm: it fires, finds nothing due and arms again.
        Assert.Equal(["in a second"], Fell());

        _time.Advance(TimeSpan.FromDays(10) - TimeSpan.FromSeconds(1));
        Assert.Equal(["in a second", "in 60 days"], Fell());
        Assert.Equal(1, due.Count);
    }

    [Fact]
    public void ATimerThatFiresBeforeTheClockSaysTheTimeHasCome_ArmsAgain_AndTheItemFallsDueThen()
    {
        var lagging = new LaggingClock(_time);
        using var due = Create(lagging);
        due.Add("step", TimeSpan.FromSeconds(5));

        lagging.Lag = TimeSpan.FromMilliseconds(3); // The wall clock is set back a little (NTP, say).
        _time.Advance(TimeSpan.FromSeconds(5)); // The timer fires; the clock reads 3 ms short.
        Assert.Empty(Fell());

        _time.Advance(TimeSpan.FromMilliseconds(2));
        Assert.Empty(Fell());

        _time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal(["step"], Fell());
    }

    /// <summary>Timers from the fake clock, and a wall clock that reads behind them.</summary>
    private sealed class LaggingClock(FakeTimeProvider inner) : TimeProvider
    {
        public TimeSpan Lag { get; set; }

        public override DateTimeOffset GetUtcNow() => inner.GetUtcNow() - Lag;

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period) =>
            inner.CreateTimer(callback, state, dueTime, period);
    }

    [Fact]
    public void AnItemAddedForEarlier_ThanTheTimerIsArmedFor_FallsDueAtItsOwnTime()
    {
        using var due = Create();
        due.Add("in an hour", TimeSpan.FromHours(1));
        due.Add("in a second", TimeSpan.FromSeconds(1));

        _time.Advance(TimeSpan.FromSeconds(1));

        Assert.Equal(["in a second"], Fell());
        Assert.Equal(1, due.Count);
    }

    [Fact]
    public void ManyItemsDueAtOneTime_AllFallDueAtThatTick_EachOnce()
    {
        using var due = Create();
        for (var i = 0; i < 10_000; i++)
        {
            due.Add($"step-{i}", TimeSpan.FromSeconds(2));
        }

        _time.Advance(TimeSpan.FromSeconds(2));

        var fell = Fell();
        Assert.Equal(10_000, fell.Length);
        Assert.Equal(10_000, fell.Distinct().Count());
        Assert.Equal(0, due.Count);

        _time.Advance(TimeSpan.FromMinutes(5));
        Assert.Equal(10_000, Fell().Length);
    }

    [Fact]
    public void AnItemWithNoWait_FallsDueAtTheNextTick_AndOneAddedWhileItFell_IsServedAtItsOwnTime()
    {
        DueTimes<string>? due = null;
        using var _ = due = Create(then: item =>
        {
            if (item == "now")
            {
                due!.Add("added while falling", TimeSpan.FromSeconds(1)); // From the timer's own callback.
            }
        });
        due.Add("now", TimeSpan.Zero);
        due.Add("negative", TimeSpan.FromSeconds(-3));
        _time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal(["negative", "now"], Fell().Order(StringComparer.Ordinal));

        _time.Advance(TimeSpan.FromMilliseconds(999)); // A second after the tick it was added at, not yet.
        Assert.Equal(2, Fell().Length);
        _time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal(3, Fell().Length);
        Assert.Equal("added while falling", Fell()[^1]);
    }

    [Fact]
    public void AfterDispose_NothingFallsDue_AndAddsAreIgnored()
    {
        var due = Create();
        due.Add("pending", TimeSpan.FromSeconds(1));
        due.Dispose();
        due.Add("late add", TimeSpan.FromSeconds(1));

        _time.Advance(TimeSpan.FromMinutes(1));

        Assert.Empty(Fell());
        Assert.Equal(0, due.Count);
    }
}
