using GitOrch.Workflow.Execution;
using Microsoft.Extensions.Time.Testing;

namespace GitOrch.Workflow.Tests.Execution;

/// <summary>The one timer behind every waiting step's retry and requeue, on a fake clock.</summary>
public sealed class DueTimesTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
    private readonly List<(string Item, DateTimeOffset At)> _fell = [];

    private DueTimes<string> Create() => new(_time, item =>
    {
        lock (_fell)
        {
            _fell.Add((item, _time.GetUtcNow()));
        }
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
        Assert.All(_fell, f => Assert.True(f.At >= new DateTimeOffset(2026, 1, 1, 0, 0, 5, TimeSpan.Zero)));
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
    public void AnItemWithNoWait_FallsDueAtTheNextTick_AndOneAddedWhileOthersFell_IsStillServed()
    {
        using var due = Create();
        due.Add("now", TimeSpan.Zero);
        due.Add("negative", TimeSpan.FromSeconds(-3));
        _time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal(["negative", "now"], Fell().Order(StringComparer.Ordinal));

        due.Add("after", TimeSpan.FromSeconds(1));
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.Contains("after", Fell());
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
