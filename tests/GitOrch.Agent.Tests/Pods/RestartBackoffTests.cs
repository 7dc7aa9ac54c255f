using GitOrch.Agent.Pods;
using GitOrch.Agent.Tests.Support;

namespace GitOrch.Agent.Tests.Pods;

/// <summary>Crash-restart delays: 1 s doubling to a 5 min cap, reset after 10 min of health.</summary>
public sealed class RestartBackoffTests
{
    private static readonly DateTimeOffset Start = new(2026, 1, 1, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void CrashLooping_DoublesFromOneSecond_UpToFiveMinutes()
    {
        var time = new SettableTime(Start);
        var backoff = new RestartBackoff(time);

        var delays = Enumerable.Range(0, 12).Select(_ => backoff.Next(time.Now).TotalSeconds).ToList();

        Assert.Equal([1, 2, 4, 8, 16, 32, 64, 128, 256, 300, 300, 300], delays);
    }

    [Fact]
    public void ARunOfTenMinutes_ResetsTheBackoffToOneSecond()
    {
        var time = new SettableTime(Start);
        var backoff = new RestartBackoff(time);
        backoff.Next(time.Now);
        backoff.Next(time.Now);
        backoff.Next(time.Now); // 1, 2, 4: the next would be 8.
        var startedAt = time.Now;

        time.Now = startedAt + RestartBackoff.Healthy;

        Assert.Equal(TimeSpan.FromSeconds(1), backoff.Next(startedAt));
        Assert.Equal(TimeSpan.FromSeconds(2), backoff.Next(time.Now));
    }

    [Fact]
    public void ARunShorterThanTenMinutes_KeepsDoubling()
    {
        var time = new SettableTime(Start);
        var backoff = new RestartBackoff(time);
        backoff.Next(time.Now);
        backoff.Next(time.Now);
        backoff.Next(time.Now);
        var startedAt = time.Now;

        time.Now = startedAt + RestartBackoff.Healthy - TimeSpan.FromSeconds(1);

        Assert.Equal(TimeSpan.FromSeconds(8), backoff.Next(startedAt));
    }

    [Fact]
    public void TheConstants_AreThoseOfTheDesign()
    {
        Assert.Equal((TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(10)), (RestartBackoff.First, RestartBackoff.Max, RestartBackoff.Healthy));
    }
}
