using GitOrch.Core.Retry;

namespace GitOrch.Core.Tests.Retry;

public class BackoffTests
{
    /// <summary>A random source that always answers the same fraction.</summary>
    private sealed class Fixed(double value) : Random
    {
        public override double NextDouble() => value;
    }

    [Theory]
    [InlineData(0, 0.5, 0)]
    [InlineData(1, 0.5, 1000)]
    [InlineData(2, 0.5, 2000)]
    [InlineData(4, 0.5, 8000)]
    [InlineData(10, 0.5, 60000)] // Capped.
    [InlineData(1, 0.0, 800)] // Jitter: -20 %.
    [InlineData(1, 0.999999, 1199.9996)] // Jitter: just under +20 %.
    [InlineData(40, 0.0, 48000)] // Capped, then jittered.
    public void Delay_DoublesPerFailure_UpToTheCap_WithJitterFromTheInjectedRandom(int failures, double random, double expectedMs)
    {
        var backoff = new Backoff(TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(1), new Fixed(random));

        Assert.Equal(expectedMs, backoff.Delay(failures).TotalMilliseconds, precision: 3);
    }
}
