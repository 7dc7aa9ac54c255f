using System.CommandLine;
using System.Text.Json;
using GitOrch.Cli.Client;
using GitOrch.Cli.Output;
using GitOrch.Controller.Api;
using GitOrch.Core.Rendering;

namespace GitOrch.Cli.Commands;

/// <summary><c>gitorch diff KIND/NAME V1 V2</c>: a unified YAML diff between two versions.</summary>
internal static class DiffCommand
{
    public static Command Create(Terminal terminal)
    {
        var target = new Argument<string>("KIND/NAME") { Description = "The object, for example pod/web-0" };
        var from = new Argument<int>("V1") { Description = "The older version" };
        var to = new Argument<int>("V2") { Description = "The newer version" };
        var ns = CommonOptions.Namespace();
        var server = CommonOptions.Server();
        var output = CommonOptions.Output(OutputFormat.Text, OutputFormat.Json);
        var command = new Command("diff", "Show what changed between two versions of an object") { target, from, to, ns, server, output };
        command.SetAction(async (parse, ct) =>
        {
            var obj = ObjectName.Parse(parse.GetRequiredValue(target), parse.GetValue(ns));
            using var client = ApiClient.For(parse, server);
            var path = obj.Path("/diff", $"from={parse.GetValue(from)}&to={parse.GetValue(to)}");
            var writer = parse.InvocationConfiguration.Output;
            if (parse.GetValue(output) == OutputFormat.Json)
            {
                await writer.WriteLineAsync(JsonSerializer.Serialize(await client.GetJsonAsync(path, ct), ApiClient.Json));
                return ExitCodes.Ok;
            }

            var diff = await client.GetAsync<DiffModel>(path, ct);
            if (diff.Diff.Length == 0)
            {
                await writer.WriteLineAsync($"Versions {diff.From} and {diff.To} of {obj.Display} are the same.");
                return ExitCodes.Ok;
            }

            foreach (var line in diff.Diff.TrimEnd('\n').Split('\n').Select(VisibleText.OneLine))
            {
                await writer.WriteLineAsync(line.StartsWith('+') && !line.StartsWith("+++", StringComparison.Ordinal) ? terminal.Green(line)
                    : line.StartsWith('-') && !line.StartsWith("---", StringComparison.Ordinal) ? terminal.Red(line)
                    : line);
            }

            return ExitCodes.Ok;
        });
        return command;
    }
}
