namespace GitOrch.Controller;

/// <summary>The controller's own health: what it follows, where it is, and the last error it hit.</summary>
public sealed record ControllerStatus(
    string Repo,
    string Branch,
    string Path,
    string StateDir,
    string? Head,
    string? LastApplied,
    DateTimeOffset? LastSync,
    string? LastError,
    string? MirrorError,
    long CompletedCycles,
    string? WorkflowError = null,
    long QueuedWorkflowStarts = 0);
