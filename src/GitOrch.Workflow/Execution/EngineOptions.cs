namespace GitOrch.Workflow.Execution;

/// <summary>Knobs of the workflow engine.</summary>
public sealed record EngineOptions
{
    /// <summary>Steps that may run at once (a bounded worker pool).</summary>
    public int Concurrency { get; init; } = 16;

    /// <summary>The first retry delay; each further retry doubles it (with ±20% jitter), up to <see cref="MaxRetryDelay"/>.</summary>
    public TimeSpan RetryBase { get; init; } = TimeSpan.FromSeconds(1);

    public TimeSpan MaxRetryDelay { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>How often unit states and log lines are written to the store.</summary>
    public TimeSpan FlushInterval { get; init; } = TimeSpan.FromMilliseconds(100);
}
