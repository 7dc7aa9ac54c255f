using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using GitOrch.Cli.Client;
using GitOrch.Cli.Output;
using GitOrch.Controller.Api;
using GitOrch.Core.Rendering;

namespace GitOrch.Cli.Commands;

/// <summary><c>gitorch blame KIND/NAME FIELD</c>: which version and changer last set a field.</summary>
internal static class BlameCommand
{
    public static Command Create()
    {
        var target = new Argument<string>("KIND/NAME") { Description = "The object, for example pod/web-0" };
        var field = new Argument<string>("FIELD") { Description = "A field path, for example spec.containers[0].image or status.nodeName" };
        var ns = CommonOptions.Namespace();
        var server = CommonOptions.Server();
        var output = CommonOptions.Output(OutputFormat.Text, OutputFormat.Json);
        var command = new Command("blame", "Which version and changer last set a field") { target, field, ns, server, output };
        command.SetAction(async (parse, ct) =>
        {
            var obj = ObjectName.Parse(parse.GetRequiredValue(target), parse.GetValue(ns));
            using var client = ApiClient.For(parse, server);
            var path = obj.Path("/blame", "field=" + Uri.EscapeDataString(parse.GetRequiredValue(field)));
            var writer = parse.InvocationConfiguration.Output;
            if (parse.GetValue(output) == OutputFormat.Json)
            {
                await writer.WriteLineAsync(JsonSerializer.Serialize(await client.GetJsonAsync(path, ct), ApiClient.Json));
                return ExitCodes.Ok;
            }

            var blame = await client.GetAsync<BlameModel>(path, ct);
            await writer.WriteLineAsync(VisibleText.OneLine($"{blame.Field}: {blame.Value?.GetRawText()}"));
            await writer.WriteLineAsync(VisibleText.OneLine(string.Create(CultureInfo.InvariantCulture,
                $"  set in version {blame.Version} by {blame.Changer} ({blame.Kind}) at {blame.CreatedAt:yyyy-MM-dd HH:mm:ss}{(blame.SourceCommit is null ? string.Empty : ", from commit " + blame.SourceCommit[..12])}")));
            return ExitCodes.Ok;
        });
        return command;
    }
}
