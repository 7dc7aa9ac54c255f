namespace GitOrch.Core.Retry;

/// <summary>
/// Jittered exponential backoff: <c>initial × 2^(failures-1)</c>, capped at <c>max</c>, times a
/// random factor in [0.8, 1.2) so that many retries never fall in step. The random source is
/// injected so tests can pin the jitter.
/// </summary>
public sealed class Backoff(TimeSpan initial, TimeSpan max, Random? random = null)
{
    private readonly Random _random = random ?? Random.Shared;

    public TimeSpan Initial => initial;

    public TimeSpan Max => max;

    /// <summary>The wait after <paramref name="failures"/> consecutive failures (0 failures: no wait).</summary>
    public TimeSpan Delay(int failures)
    {
        if (failures <= 0)
        {
            return TimeSpan.Zero;
        }

        var raw = initial.TotalMilliseconds * Math.Pow(2, Math.Min(failures - 1, 30));
        var capped = Math.Min(raw, max.TotalMilliseconds);
        double factor;
        lock (_random)
        {
            factor = 0.8 + (_random.NextDouble() * 0.4);
        }

        return TimeSpan.FromMilliseconds(capped * factor);
    }
}
