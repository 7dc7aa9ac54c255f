using System.Diagnostics;

namespace GitOrch.Core.Diagnostics;

/// <summary>
/// With GITORCH_PROFILE set in the environment, prints how long each stage of a piece of work
/// took, to standard error, as <c>SCOPE: STAGE: N ms</c> (for bench/ and docs/benchmarks.md).
/// Without it, <see cref="Start"/> gives null and the stages cost nothing.
/// </summary>
public sealed class StageTimer
{
    private static readonly bool Enabled = Environment.GetEnvironmentVariable("GITORCH_PROFILE") is not null;

    private readonly string _scope;
    private readonly Stopwatch _watch = Stopwatch.StartNew();

    private StageTimer(string scope) => _scope = scope;

    /// <summary>A timer for <paramref name="scope"/> ("apply", "plan", "validate"), or null when profiling is off.</summary>
    public static StageTimer? Start(string scope) => Enabled ? new StageTimer(scope) : null;

    /// <summary>Prints the time since the last stage (or the start) and starts the next one.</summary>
    public void Stage(string stage)
    {
        Console.Error.WriteLine(
            $"{_scope}: {stage}: {_watch.Elapsed.TotalMilliseconds:0.00} ms (process so far: {System.Runtime.JitInfo.GetCompiledMethodCount()} methods compiled by the JIT in {System.Runtime.JitInfo.GetCompilationTime().TotalMilliseconds:0} ms, {GC.CollectionCount(0)} collections, {GC.GetTotalPauseDuration().TotalMilliseconds:0} ms paused)");
        _watch.Restart();
    }
}
