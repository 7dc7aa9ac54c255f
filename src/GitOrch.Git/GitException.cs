namespace GitOrch.Git;

/// <summary>A git command failed; the message carries git's own words and the command.</summary>
public sealed class GitException(string message, int exitCode, string stderr) : Exception(message)
{
    public int ExitCode { get; } = exitCode;

    public string StandardError { get; } = stderr;
}
