namespace GitOrch.Workflow.Tests.Support;

/// <summary>Bounded waits: poll a condition until it holds or a deadline passes (then the test fails, saying what it waited for).</summary>
internal static class Wait
{
    public static readonly TimeSpan Deadline = TimeSpan.FromSeconds(20);

    /// <summary>How long a transaction of fast scripted steps may take to finish.</summary>
    public static readonly TimeSpan Idle = TimeSpan.FromSeconds(10);

    /// <summary>How long a scripted loop waits for another one to run alongside it (shorter than <see cref="Idle"/>, so a missing overlap fails the step, visibly).</summary>
    public static readonly TimeSpan Overlap = TimeSpan.FromSeconds(5);

    public static async Task UntilAsync(Func<bool> condition, string what, TimeSpan? deadline = null)
    {
        var limit = DateTime.UtcNow + (deadline ?? Deadline);
        while (!condition())
        {
            if (DateTime.UtcNow > limit)
            {
                Assert.Fail($"timed out waiting until {what}");
            }

            await Task.Delay(10);
        }
    }

    /// <summary>Awaits a task that must complete within the deadline.</summary>
    public static async Task ForAsync(Task task, string what, TimeSpan? deadline = null)
    {
        try
        {
            await task.WaitAsync(deadline ?? Deadline);
        }
        catch (TimeoutException)
        {
            Assert.Fail($"timed out waiting for {what}");
        }
    }

    public static async Task<T> ForAsync<T>(Task<T> task, string what, TimeSpan? deadline = null)
    {
        try
        {
            return await task.WaitAsync(deadline ?? Deadline);
        }
        catch (TimeoutException)
        {
            Assert.Fail($"timed out waiting for {what}");
            throw;
        }
    }
}
