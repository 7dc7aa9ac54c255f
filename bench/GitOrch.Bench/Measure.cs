using System.Diagnostics;

namespace GitOrch.Bench;

/// <summary>Runs a case several times and keeps the median (after one warm-up run).</summary>
public static class Measure
{
    public static async Task<TimeSpan> MedianAsync(int runs, Func<Task> action, bool warmUp = true)
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

        times.Sort();
        return times[times.Count / 2];
    }

    public static string Ms(TimeSpan t) => t.TotalMilliseconds < 10 ? $"{t.TotalMilliseconds:0.00} ms" : $"{t.TotalMilliseconds:0} ms";
}
