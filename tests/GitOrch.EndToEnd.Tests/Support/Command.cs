using GitOrch.Cli;

namespace GitOrch.EndToEnd.Tests.Support;

/// <summary>
/// Runs the gitorch command line in-process, as a shell would. With <c>--server</c> of a controller
/// that a test started, and no <c>--credentials</c>, it uses that controller's admin credentials;
/// the user config is a temp file (never the real ~/.config/gitorch).
/// </summary>
internal static class Command
{
    static Command()
    {
        Environment.SetEnvironmentVariable("GITORCH_CONFIG", Path.Combine(Path.GetTempPath(), "gitorch-e2e-inprocess-" + Guid.NewGuid().ToString("N"), "config"));
    }

    public static (int Exit, string Out, string Err) Run(params string[] args)
    {
        var server = Array.IndexOf(args, "--server");
        if (server >= 0 && !args.Contains("--credentials") && GitorchProcess.CredentialsFor(args[server + 1]) is { } credentials)
        {
            args = [.. args, "--credentials", credentials];
        }

        using var output = new StringWriter();
        using var error = new StringWriter();
        var exit = GitOrchApp.Run(args, output, error);
        return (exit, output.ToString(), error.ToString());
    }
}
