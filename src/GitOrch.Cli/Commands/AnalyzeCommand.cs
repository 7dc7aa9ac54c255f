using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using GitOrch.Cli.Client;
using GitOrch.Cli.Output;
using GitOrch.Controller.Api;

namespace GitOrch.Cli.Commands;

/// <summary><c>gitorch analyze critical-chain POD</c>: the long pole of the pod's workflow, systemd-analyze style.</summary>
internal static class AnalyzeCommand
{
    public static Command Create()
    {
        var pod = new Argument<string>("POD") { Description = "The pod's name (or KIND/NAME)" };
        var ns = CommonOptions.Namespace();
        var server = CommonOptions.Server();
        var output = CommonOptions.Output(OutputFormat.Text, OutputFormat.Json);
        var chain = new Command("critical-chain", "The chain of units that took longest, each @start +duration") { pod, ns, server, output };
        chain.SetAction(async (parse, ct) =>
        {
            var obj = ObjectName.Parse(WhyCommand.WithKind(parse.GetRequiredValue(pod)), parse.GetValue(ns));
            using var client = ApiClient.For(parse, server);
            var writer = parse.InvocationConfiguration.Output;
            var json = await client.GetJsonAsync(obj.Path("/critical-chain"), ct);
            if (parse.GetValue(output) == OutputFormat.Json)
            {
                await writer.WriteLineAsync(JsonSerializer.Serialize(json, ApiClient.Json));
                return ExitCodes.Ok;
            }

            var model = json.Deserialize<CriticalChainModel>(ApiClient.Json)!;
            await writer.WriteLineAsync($"The time when a unit was reached is printed after \"@\", the time it took after \"+\" ({model.Object}, transaction {model.Transaction}, {model.State}):");
            await writer.WriteLineAsync();
            for (var i = model.Chain.Count - 1; i >= 0; i--)
            {
                var link = model.Chain[i];
                var indent = new string(' ', (model.Chain.Count - 1 - i) * 2);
                var took = link.DurationSeconds > 0 ? " +" + Seconds(link.DurationSeconds) : string.Empty;
                await writer.WriteLineAsync($"{indent}{(i == model.Chain.Count - 1 ? string.Empty : "└─")}{link.Unit} @{Seconds(link.StartSeconds)}{took}");
            }

            return ExitCodes.Ok;
        });

        return new Command("analyze", "Analyse workflows") { chain };
    }

    private static string Seconds(double s) => s.ToString("0.000", CultureInfo.InvariantCulture) + "s";
}
