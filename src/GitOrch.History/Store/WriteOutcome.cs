using GitOrch.Core.Diagnostics;

namespace GitOrch.History.Store;

/// <summary>
/// What became of a write: the batch it wrote (0 when nothing changed or it was refused), and
/// why admission refused it (empty when admitted).
/// </summary>
public sealed record WriteOutcome(long Batch, IReadOnlyList<Diagnostic> Refused)
{
    public static WriteOutcome Unchanged { get; } = new(0, []);

    public bool IsRefused => Refused.Count > 0;

    /// <summary>The refusals as one message for a step's log (each with its file:line:col and code).</summary>
    public string Describe() => string.Join("; ", Refused.Select(d => d.ToString()));
}
