using System.CommandLine;
using System.Text.Json;
using GitOrch.Cli.Client;
using GitOrch.Cli.Output;
using GitOrch.Controller.Api;

namespace GitOrch.Cli.Commands;

/// <summary><c>gitorch loops</c>: every registered control loop with what it owns, reads, and where its step sits.</summary>
internal static class LoopsCommand
{
    public static Command Create()
    {
        var server = CommonOptions.Server();
        var output = CommonOptions.Output(OutputFormat.Text, OutputFormat.Json);
        var command = new Command("loops", "Registered control loops: owns, reads, step placement, selector") { server, output };
        command.SetAction(async (parse, ct) =>
        {
            using var client = ApiClient.For(parse, server);
            var writer = parse.InvocationConfiguration.Output;
            var json = await client.GetJsonAsync("api/v1/loops", ct);
            if (parse.GetValue(output) == OutputFormat.Json)
            {
                await writer.WriteLineAsync(JsonSerializer.Serialize(json, ApiClient.Json));
                return ExitCodes.Ok;
            }

            foreach (var loop in json.Deserialize<List<LoopModel>>(ApiClient.Json)!)
            {
                await writer.WriteLineAsync($"{loop.Name}{(loop.BuiltIn ? " (built-in)" : $" ({loop.Source})")}");
                if (loop.Description.Length > 0)
                {
                    await writer.WriteLineAsync($"  {loop.Description}");
                }

                await writer.WriteLineAsync($"  kinds     {string.Join(", ", loop.ObjectKinds)}");
                await writer.WriteLineAsync($"  owns      {List(loop.Owns)}");
                await writer.WriteLineAsync($"  reads     {List(loop.Reads)}");
                await writer.WriteLineAsync($"  step      after {List(loop.After)}; before {List(loop.Before)}; requires {List(loop.Requires)}; wants {List(loop.Wants)}");
                await writer.WriteLineAsync($"            timeout {loop.TimeoutSeconds}s, {loop.MaxAttempts} attempt(s)");
                if (loop.Namespaces.Count > 0 || loop.Labels.Count > 0)
                {
                    await writer.WriteLineAsync($"  selector  namespaces {List(loop.Namespaces)}; labels {List(loop.Labels.Select(kv => $"{kv.Key}={kv.Value}").ToList())}");
                }

                await writer.WriteLineAsync($"  handler   {loop.Handler}");
                await writer.WriteLineAsync();
            }

            return ExitCodes.Ok;
        });
        return command;
    }

    private static string List(IReadOnlyList<string> items) => items.Count == 0 ? "-" : string.Join(", ", items);
}
