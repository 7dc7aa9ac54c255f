namespace GitOrch.Cli.Tests;

/// <summary>Runs the real command line in-process and captures what a shell would see.</summary>
internal static class CliRunner
{
    public static (int Exit, string Out, string Err) Run(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exit = GitOrchApp.Run(args, output, error);
        return (exit, output.ToString(), error.ToString());
    }

    public static string ExampleRepo()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "GitOrch.sln")))
            {
                return Path.Combine(dir.FullName, "example-repo");
            }
        }

        throw new InvalidOperationException("repository root not found");
    }
}
