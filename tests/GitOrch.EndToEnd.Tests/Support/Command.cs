using GitOrch.Cli;

namespace GitOrch.EndToEnd.Tests.Support;

/// <summary>Runs the gitorch command line in-process against a running controller, as a shell would.</summary>
internal static class Command
{
    public static (int Exit, string Out, string Err) Run(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exit = GitOrchApp.Run(args, output, error);
        return (exit, output.ToString(), error.ToString());
    }
}
