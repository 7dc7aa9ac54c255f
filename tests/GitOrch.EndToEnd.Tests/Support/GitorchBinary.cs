namespace GitOrch.EndToEnd.Tests.Support;

/// <summary>
/// The gitorch these tests start as a process: the build beside them (<c>dotnet gitorch.dll</c>),
/// or, with <c>GITORCH_E2E_BINARY</c> set, a published <c>gitorch</c> as users get it (self-contained,
/// ReadyToRun, the framework trimmed). <c>.ci/run</c> runs this suite a second time that way, so
/// what trimming removed cannot go unnoticed.
/// </summary>
internal static class GitorchBinary
{
    public const string Variable = "GITORCH_E2E_BINARY";

    /// <summary>The published executable under test, or null for the build beside the tests.</summary>
    public static string? Published { get; } = Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } path
        ? File.Exists(path) ? Path.GetFullPath(path) : throw new InvalidOperationException($"{Variable}={path}: no such file; give the absolute path of a published gitorch (dotnet publish src/GitOrch.Cli -c Release -o DIR)")
        : null;

    /// <summary>Starts <c>gitorch ARGS</c> as is (no color; output redirected), for a test to add its working folder and environment.</summary>
    public static System.Diagnostics.ProcessStartInfo StartInfo(params string[] args)
    {
        var (program, prefix) = Command();
        var info = new System.Diagnostics.ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in (string[])[.. prefix, .. args])
        {
            info.ArgumentList.Add(arg);
        }

        info.Environment["NO_COLOR"] = "1";
        return info;
    }

    /// <summary>The program to start and the arguments that come before gitorch's own.</summary>
    public static (string Program, string[] Prefix) Command() =>
        Published is { } binary ? (binary, []) : ("dotnet", [Path.Combine(AppContext.BaseDirectory, "gitorch.dll")]);
}
