using System.CommandLine;
using GitOrch.Cli.Commands;

namespace GitOrch.Cli;

/// <summary>
/// The <c>gitorch</c> command line. Built per call so that tests can run it in-process with their
/// own writers and read the exit code, exactly as a shell would see it.
/// </summary>
public static class GitOrchApp
{
    /// <summary>The name of the global <c>--credentials FILE</c> option.</summary>
    public const string CredentialsOption = "--credentials";

    public static RootCommand Build(Terminal terminal)
    {
        var root = new RootCommand("GitOrch: a GitOps-native orchestrator. Git is the source of truth and the audit log.");
        root.Options.Add(new System.CommandLine.Option<string?>(CredentialsOption)
        {
            Description = $"A credentials file (server, caCertificate, token) to use instead of ${Client.CredentialResolver.CredentialsVariable} or the user's config",
            HelpName = "FILE",
            Recursive = true,
        });
        root.Add(ValidateCommand.Create(terminal));
        root.Add(UpCommand.Create(withLocalNode: true));
        root.Add(UpCommand.Create(withLocalNode: false));
        root.Add(StatusCommand.Create(terminal));
        root.Add(GetCommand.Create());
        root.Add(HistoryCommand.Create());
        root.Add(DiffCommand.Create(terminal));
        root.Add(BlameCommand.Create());
        root.Add(RollbackCommand.Create());
        root.Add(WhyCommand.Create(terminal));
        root.Add(GraphCommand.Create());
        root.Add(AnalyzeCommand.Create());
        root.Add(LoopsCommand.Create());
        root.Add(LogsCommand.Create());
        root.Add(PlanCommand.Create());
        root.Add(GitHubCommand.Create());
        root.Add(AgentCommand.Create());
        root.Add(ImageCommand.Create());
        root.Add(ImportCommand.Create());
        root.Add(SyncCommand.Create());
        root.Add(NodesCommand.CreateList());
        root.Add(NodesCommand.CreateNode());
        root.Add(TokenCommand.Create());
        root.Add(UiCommand.Create());
        return root;
    }

    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error, Terminal terminal, CancellationToken ct = default)
    {
        var root = Build(terminal);
        var parse = root.Parse(args);
        if (UnknownOptions.Find(parse) is { } unknown)
        {
            await error.WriteLineAsync($"gitorch: {unknown}");
            return ExitCodes.Invalid;
        }

        if (parse.Action is System.CommandLine.Invocation.ParseErrorAction errors && parse.CommandResult.Command.Subcommands.Count == 0)
        {
            // A leaf command has no subcommands to suggest: a stray value is not a misspelled option.
            errors.ShowTypoCorrections = false;
        }

        // Signals are ours (Program.cs cancels ct on SIGINT and SIGTERM): the library must not handle them too.
        var config = new InvocationConfiguration { Output = output, Error = error, EnableDefaultExceptionHandler = false, ProcessTerminationTimeout = null };
        try
        {
            return await parse.InvokeAsync(config, ct);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            await error.WriteLineAsync("gitorch: cancelled");
            return ExitCodes.Cancelled;
        }
        catch (CliException ex)
        {
            await error.WriteLineAsync($"gitorch: {ex.Message}");
            return ex.ExitCode;
        }
#pragma warning disable CA1031 // The last line of defence: a bug is reported, never a stack trace for bad input.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            await error.WriteLineAsync($"gitorch: internal error ({ex.GetType().Name}): {ex.Message}");
            await error.WriteLineAsync("This is a bug in gitorch; please report it with the command you ran. Details:");
            await error.WriteLineAsync(ex.ToString());
            return ExitCodes.InternalError;
        }
    }

    public static int Run(string[] args, TextWriter output, TextWriter error, Terminal? terminal = null) =>
        RunAsync(args, output, error, terminal ?? Terminal.Plain).GetAwaiter().GetResult();
}
