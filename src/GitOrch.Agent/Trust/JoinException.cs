namespace GitOrch.Agent.Trust;

/// <summary>
/// A join that failed, with a message that says what to do; <see cref="Transient"/> when trying
/// again may help (the server was unreachable); <see cref="Leader"/> when the server is a follower
/// replica that named the leader's node endpoint.
/// </summary>
public sealed class JoinException(string message, bool transient = false, string? leader = null) : Exception(message)
{
    public bool Transient { get; } = transient;

    public string? Leader { get; } = leader;
}
