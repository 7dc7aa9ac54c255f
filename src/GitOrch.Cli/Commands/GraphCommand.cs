using System.CommandLine;
using System.Diagnostics;
using GitOrch.Cli.Client;
using GitOrch.Cli.Output;
using GitOrch.Controller.Api;

namespace GitOrch.Cli.Commands;

/// <summary><c>gitorch graph POD --format dot|svg</c>: the workflow graph (SVG through Graphviz when installed).</summary>
internal static class GraphCommand
{
    public static Command Create()
    {
        var pod = new Argument<string>("POD") { Description = "The pod's name (or KIND/NAME)" };
        var format = new Option<string>("--format") { Description = "dot or svg", DefaultValueFactory = _ => "dot", HelpName = "dot|svg" };
        format.AcceptOnlyFromAmong("dot", "svg");
        var ns = CommonOptions.Namespace();
        var server = CommonOptions.Server();
        var command = new Command("graph", "The pod's workflow graph, as Graphviz dot or SVG") { pod, format, ns, server };
        command.SetAction(async (parse, ct) =>
        {
            var obj = ObjectName.Parse(WhyCommand.WithKind(parse.GetRequiredValue(pod)), parse.GetValue(ns));
            using var client = ApiClient.For(parse, server);
            var graph = await client.GetAsync<GraphModel>(obj.Path("/graph"), ct);
            var writer = parse.InvocationConfiguration.Output;
            if (parse.GetValue(format) == "dot")
            {
                await writer.WriteAsync(graph.Dot);
                return ExitCodes.Ok;
            }

            await writer.WriteAsync(await SvgAsync(graph.Dot, ct));
            return ExitCodes.Ok;
        });
        return command;
    }

    private static async Task<string> SvgAsync(string dot, CancellationToken ct)
    {
        var info = new ProcessStartInfo("dot", "-Tsvg") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        Process process;
        try
        {
            process = Process.Start(info)!;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            throw new CliException("--format svg needs Graphviz's dot, which is not installed (Debian: apt-get install graphviz); use --format dot and render it elsewhere");
        }

        using (process)
        {
            await process.StandardInput.WriteAsync(dot.AsMemory(), ct);
            process.StandardInput.Close();
            var svg = await process.StandardOutput.ReadToEndAsync(ct);
            var error = await process.StandardError.ReadToEndAsync(ct);
            await process.WaitForExitAsync(ct);
            return process.ExitCode == 0 ? svg : throw new CliException($"dot failed: {error.Trim()}");
        }
    }
}
