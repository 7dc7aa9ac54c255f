using GitOrch.Core.Diagnostics;

namespace GitOrch.Workflow.Model;

/// <summary>The workflow of one object for one change: its units and their states.</summary>
public sealed class Transaction
{
    public required long Id { get; init; }

    public required ObjectRef Object { get; init; }

    /// <summary>The config commit the change came from (null for a change with no commit, such as recovery).</summary>
    public string? Commit { get; init; }

    public required DateTimeOffset CreatedAt { get; init; }

    public required IReadOnlyList<Unit> Units { get; init; }

    /// <summary>Set when a newer transaction for the same object replaced this one.</summary>
    public bool Superseded { get; set; }

    public Unit? Find(string name) => Units.FirstOrDefault(u => u.Name == name);

    public bool IsFinished => Units.All(u => u.State.IsTerminal());

    public string State => Superseded ? "superseded"
        : !IsFinished ? "active"
        : Units.All(u => u.State == UnitState.Done) ? "done"
        : "failed";
}
