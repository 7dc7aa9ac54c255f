namespace GitOrch.Agent.Pods;

/// <summary>
/// Which init containers of a generation have exited 0, in which boot: kept on disk beside the
/// container records, so that an agent restart goes on where it was and a reboot starts over.
/// </summary>
public sealed record InitProgress(string Generation, string BootId, IReadOnlyList<string> Completed);
