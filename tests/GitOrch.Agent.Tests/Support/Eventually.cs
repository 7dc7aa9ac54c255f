namespace GitOrch.Agent.Tests.Support;

/// <summary>Bounded polling: waits until a condition holds, failing with what was last seen once the deadline passes.</summary>
internal static class Eventually
{
    public static readonly TimeSpan Deadline = TimeSpan.FromSeconds(20);

    public static async Task<T> Until<T>(Func<T> probe, Func<T, bool> done, string what, TimeSpan? timeout = null) =>
        await UntilAsync(() => Task.FromResult(probe()), done, what, timeout);

    public static async Task<T> UntilAsync<T>(Func<Task<T>> probe, Func<T, bool> done, string what, TimeSpan? timeout = null)
    {
        var limit = DateTime.UtcNow + (timeout ?? Deadline);
        T last;
        while (true)
        {
            last = await probe();
            if (done(last))
            {
                return last;
            }

            if (DateTime.UtcNow > limit)
            {
                break;
            }

            await Task.Delay(50);
        }

        Assert.Fail($"timed out after {(timeout ?? Deadline).TotalSeconds:0}s waiting for {what}; last seen: {Describe(last)}");
        return last;
    }

    public static async Task True(Func<bool> condition, string what, TimeSpan? timeout = null) =>
        await Until(condition, x => x, what, timeout);

    private static string Describe(object? value) => value switch
    {
        null => "null",
        System.Collections.IEnumerable items and not string => "[" + string.Join(", ", items.Cast<object?>().Select(Describe)) + "]",
        _ => value.ToString() ?? "null",
    };
}
