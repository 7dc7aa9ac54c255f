namespace GitOrch.Cli;

/// <summary>Exit codes shared by the verbs (docs/cli.md lists them per verb).</summary>
public static class ExitCodes
{
    public const int Ok = 0;

    /// <summary>Invalid input: manifests with errors, a bad argument, a missing path.</summary>
    public const int Invalid = 1;

    /// <summary><c>plan</c>: merging head changes something.</summary>
    public const int Changes = 2;

    /// <summary><c>why</c>: the pod is not running.</summary>
    public const int NotRunning = 3;

    public const int InternalError = 70;

    public const int Cancelled = 130;
}
