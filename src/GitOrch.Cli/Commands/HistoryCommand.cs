using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using GitOrch.Cli.Client;
using GitOrch.Cli.Output;
using GitOrch.Controller.Api;

namespace GitOrch.Cli.Commands;

/// <summary><c>gitorch history KIND/NAME</c>: every version with its changer, kind, source commit and changed fields.</summary>
internal static class HistoryCommand
{
    public static Command Create()
    {
        var target = new Argument<string>("KIND/NAME") { Description = "The object, for example pod/web-0" };
        var ns = CommonOptions.Namespace();
        var changer = new Option<string?>("--changer") { Description = "Only versions by this changer (git/<email> or control-loop/<name>)", HelpName = "C" };
        var exclude = new Option<string?>("--exclude-changer") { Description = "Leave out versions by this changer", HelpName = "C" };
        var server = CommonOptions.Server();
        var output = CommonOptions.Output(OutputFormat.Text, OutputFormat.Json);
        var command = new Command("history", "Versions of an object, with who changed what") { target, ns, changer, exclude, server, output };
        command.SetAction(async (parse, ct) =>
        {
            var obj = ObjectName.Parse(parse.GetRequiredValue(target), parse.GetValue(ns));
            var query = string.Join('&', new[]
            {
                parse.GetValue(changer) is { } c ? "changer=" + Uri.EscapeDataString(c) : null,
                parse.GetValue(exclude) is { } x ? "excludeChanger=" + Uri.EscapeDataString(x) : null,
            }.Where(q => q is not null));
            using var client = ApiClient.For(parse, server);
            var path = obj.Path("/history", query);
            var writer = parse.InvocationConfiguration.Output;
            if (parse.GetValue(output) == OutputFormat.Json)
            {
                await writer.WriteLineAsync(JsonSerializer.Serialize(await client.GetJsonAsync(path, ct), ApiClient.Json));
                return ExitCodes.Ok;
            }

            var versions = await client.GetAsync<List<VersionModel>>(path, ct);
            var table = new Table("VERSION", "TIME", "CHANGER", "KIND", "COMMIT", "FIELDS");
            foreach (var v in versions)
            {
                table.Add(
                    v.Version.ToString(CultureInfo.InvariantCulture),
                    v.CreatedAt.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture),
                    v.Changer,
                    v.Kind,
                    v.SourceCommit?[..12],
                    (v.Deleted ? "(deleted)" : string.Join(", ", v.Fields)) + (v.Mirror is { } mirror ? $" (from the mirror, {mirror[..12]})" : string.Empty));
            }

            if (table.Count == 0)
            {
                await writer.WriteLineAsync($"No versions of {obj.Display} match.");
            }
            else
            {
                table.Write(writer);
            }

            return ExitCodes.Ok;
        });
        return command;
    }
}
