using System.Diagnostics;

namespace GitOrch.Bench;

/// <summary>Runs a case several times (after one warm-up run) and keeps the median, min and max.</summary>
public static class Measure
{
    public const int Runs = 5;

    public static async Task<TimeSpan> MedianAsync(int runs, Func<Task> action, bool warmUp = true) =>
        (await StatsAsync(runs, action, warmUp)).Median;

    public static async Task<Stats> StatsAsync(int runs, Func<Task> action, bool warmUp = true)
    {
        if (warmUp)
        {
            await action();
        }

        var times = new List<TimeSpan>();
        for (var i = 0; i < runs; i++)
        {
            var watch = Stopwatch.StartNew();
            await action();
            times.Add(watch.Elapsed);
        }

        return Stats.Of(times);
    }

    /// <summary>Sorts ratios taken one per round (min first, max last) and returns their median.</summary>
    public static double SortedMedian(List<double> ratios)
    {
        ratios.Sort();
        return ratios[ratios.Count / 2];
    }

    /// <summary>
    /// One timed run (for cases that interleave rounds of several measurements), from a collected
    /// heap: no run pays for the garbage of the one before it.
    /// </summary>
    public static async Task<TimeSpan> OnceAsync(Func<Task> action)
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        var watch = Stopwatch.StartNew();
        await action();
        return watch.Elapsed;
    }

    public static Stats Sync(int runs, Action action, bool warmUp = true) =>
        StatsAsync(runs, () => { action(); return Task.CompletedTask; }, warmUp).GetAwaiter().GetResult();

    public static string Ms(TimeSpan t) => t.TotalMilliseconds < 10 ? $"{t.TotalMilliseconds:0.00} ms" : $"{t.TotalMilliseconds:0} ms";
}

/// <summary>Median, min and max of several runs of one case.</summary>
public sealed record Stats(TimeSpan Median, TimeSpan Min, TimeSpan Max, int Runs)
{
    public static Stats Of(IEnumerable<TimeSpan> times)
    {
        var sorted = times.Order().ToList();
        return new Stats(sorted[sorted.Count / 2], sorted[0], sorted[^1], sorted.Count);
    }

    /// <summary>"123 ms (min 118, max 131, n=5)".</summary>
    public override string ToString() =>
        $"{Measure.Ms(Median)} (min {Measure.Ms(Min)}, max {Measure.Ms(Max)}, n={Runs})";
}
