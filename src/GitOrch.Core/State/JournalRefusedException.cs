namespace GitOrch.Core.State;

/// <summary>A write this replica may not make now (it does not lead, or etcd does not answer); the message says who may, or what to do.</summary>
public sealed class JournalRefusedException(string message, string? leaderApiUrl = null, Exception? inner = null) : Exception(message, inner)
{
    /// <summary>The leader's API URL when one is known.</summary>
    public string? LeaderApiUrl { get; } = leaderApiUrl;
}
