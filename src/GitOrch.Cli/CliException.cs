namespace GitOrch.Cli;

/// <summary>A failure the user can act on: printed as one line (what, where, what to do), no stack trace.</summary>
public sealed class CliException(string message, int exitCode = ExitCodes.Invalid) : Exception(message)
{
    public int ExitCode { get; } = exitCode;
}
