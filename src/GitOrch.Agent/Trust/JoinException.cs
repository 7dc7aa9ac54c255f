namespace GitOrch.Agent.Trust;

/// <summary>A join that failed, with a message that says what to do; <see cref="Transient"/> when trying again may help (the server was unreachable).</summary>
public sealed class JoinException(string message, bool transient = false) : Exception(message)
{
    public bool Transient { get; } = transient;
}
