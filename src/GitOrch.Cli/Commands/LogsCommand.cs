using System.CommandLine;
using System.Text.Json;
using GitOrch.Cli.Client;
using GitOrch.Cli.Output;
using GitOrch.Core.Rendering;
using GitOrch.Workflow.Model;

namespace GitOrch.Cli.Commands;

/// <summary><c>gitorch logs POD</c>: every step log line about one object, across loops, in time order.</summary>
internal static class LogsCommand
{
    public static Command Create()
    {
        var pod = new Argument<string>("POD") { Description = "The pod's name (or KIND/NAME)" };
        var ns = CommonOptions.Namespace();
        var limit = new Option<int>("--limit") { Description = "How many of the newest lines", DefaultValueFactory = _ => 1000 };
        var server = CommonOptions.Server();
        var output = CommonOptions.Output(OutputFormat.Text, OutputFormat.Json);
        var container = new Option<string?>("--container", "-c") { Description = "Show this container's output (from its node) instead of the step log", HelpName = "NAME" };
        var command = new Command("logs", "Every step log line about one object in time order, or a container's output (--container)") { pod, ns, limit, container, server, output };
        command.SetAction(async (parse, ct) =>
        {
            var obj = ObjectName.Parse(WhyCommand.WithKind(parse.GetRequiredValue(pod)), parse.GetValue(ns));
            using var client = ApiClient.For(parse, server);
            var writer = parse.InvocationConfiguration.Output;
            if (parse.GetValue(container) is { } name)
            {
                await writer.WriteAsync(await client.GetTextAsync(obj.Path("/container-logs", $"container={Uri.EscapeDataString(name)}&tail={parse.GetValue(limit)}"), ct));
                return ExitCodes.Ok;
            }

            var json = await client.GetJsonAsync(obj.Path("/logs", $"limit={parse.GetValue(limit)}"), ct);
            if (parse.GetValue(output) == OutputFormat.Json)
            {
                await writer.WriteLineAsync(JsonSerializer.Serialize(json, ApiClient.Json));
                return ExitCodes.Ok;
            }

            foreach (var log in json.Deserialize<List<StepLog>>(ApiClient.Json)!)
            {
                var commit = log.Commit is null ? string.Empty : $" {log.Commit[..Math.Min(12, log.Commit.Length)]}";
                await writer.WriteLineAsync($"{log.Time.ToLocalTime():yyyy-MM-dd HH:mm:ss.fff} {log.Level,-7} {VisibleText.OneLine(log.Step)}{(log.Attempt > 0 ? $"#{log.Attempt}" : string.Empty)} [txn {log.Transaction}{commit}] {VisibleText.OneLine(log.Message)}");
            }

            return ExitCodes.Ok;
        });
        return command;
    }
}
