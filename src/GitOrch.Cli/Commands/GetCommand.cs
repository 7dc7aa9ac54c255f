using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using GitOrch.Cli.Client;
using GitOrch.Cli.Output;
using GitOrch.Controller.Api;
using GitOrch.Core.Manifests;
using GitOrch.Core.Rendering;

namespace GitOrch.Cli.Commands;

/// <summary><c>gitorch get KIND [NAME]</c>: objects with their version, last changer, phase and node.</summary>
internal static class GetCommand
{
    public static Command Create()
    {
        var kind = new Argument<string>("KIND") { Description = "pod, pinneddeployment, controlloop, target or clusterpolicy" };
        var name = new Argument<string?>("NAME") { Description = "One object (all of the kind when absent)", Arity = ArgumentArity.ZeroOrOne };
        var ns = CommonOptions.Namespace();
        var all = new Option<bool>("--all-namespaces", "-A") { Description = "Objects of every namespace" };
        var server = CommonOptions.Server();
        var output = CommonOptions.Output(OutputFormat.Text, OutputFormat.Json);
        var yaml = new Option<bool>("--yaml") { Description = "Print the object itself as YAML (with NAME)" };
        var command = new Command("get", "List objects, or show one") { kind, name, ns, all, server, output, yaml };
        command.SetAction(async (parse, ct) =>
        {
            var resolved = Kinds.Resolve(parse.GetRequiredValue(kind)) ?? throw new CliException($"unknown kind \"{parse.GetValue(kind)}\"; use one of: {string.Join(", ", Kinds.All)}");
            using var client = ApiClient.For(parse, server);
            var writer = parse.InvocationConfiguration.Output;
            var json = parse.GetValue(output) == OutputFormat.Json;
            if (parse.GetValue(name) is { } one)
            {
                var obj = ObjectName.Parse($"{resolved}/{one}", parse.GetValue(ns));
                if (json)
                {
                    await writer.WriteLineAsync(JsonSerializer.Serialize(await client.GetJsonAsync(obj.Path(), ct), ApiClient.Json));
                    return ExitCodes.Ok;
                }

                var model = await client.GetAsync<ObjectModel>(obj.Path(), ct);
                if (parse.GetValue(yaml))
                {
                    await writer.WriteAsync(YamlRenderer.Render(GitOrch.Core.Manifests.ManifestJson.ParseToken(model.Object.GetRawText())));
                    return ExitCodes.Ok;
                }

                Print([model.Summary], writer, Kinds.IsNamespaced(resolved));
                if (resolved == Kinds.Pod && model.Object.TryGetProperty("status", out var status) && status.TryGetProperty("containers", out var containers)
                    && containers.ValueKind == JsonValueKind.Array)
                {
                    ContainerDetails.Print(containers.Deserialize<List<GitOrch.Core.AgentApi.ContainerReport>>(ApiClient.Json), writer, DateTimeOffset.UtcNow);
                }

                return ExitCodes.Ok;
            }

            var query = $"api/v1/objects?kind={resolved}";
            if (Kinds.IsNamespaced(resolved) && !parse.GetValue(all))
            {
                query += "&namespace=" + Uri.EscapeDataString(parse.GetValue(ns) ?? ManifestObject.DefaultNamespace);
            }

            if (json)
            {
                await writer.WriteLineAsync(JsonSerializer.Serialize(await client.GetJsonAsync(query, ct), ApiClient.Json));
                return ExitCodes.Ok;
            }

            var list = await client.GetAsync<List<ObjectSummaryModel>>(query, ct);
            if (list.Count == 0)
            {
                await writer.WriteLineAsync($"No {resolved} objects{(Kinds.IsNamespaced(resolved) && !parse.GetValue(all) ? $" in namespace {parse.GetValue(ns) ?? ManifestObject.DefaultNamespace} (try -A)" : string.Empty)}.");
                return ExitCodes.Ok;
            }

            Print(list, writer, Kinds.IsNamespaced(resolved));
            return ExitCodes.Ok;
        });
        return command;
    }

    private static void Print(IReadOnlyList<ObjectSummaryModel> objects, TextWriter writer, bool namespaced)
    {
        var table = namespaced
            ? new Table("NAMESPACE", "NAME", "VERSION", "PHASE", "RESTARTS", "NODE", "CHANGED BY", "UPDATED")
            : new Table("NAME", "VERSION", "CHANGED BY", "UPDATED");
        foreach (var o in objects)
        {
            var version = o.Version.ToString(CultureInfo.InvariantCulture);
            var updated = o.UpdatedAt.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);
            if (namespaced)
            {
                var phase = o.Phase ?? (o.Kind == Kinds.Pod ? "Pending" : null);
                table.Add(o.Namespace, o.Name, version, o.InitStep is { } init ? $"{phase} ({init})" : phase,
                    o.Kind == Kinds.Pod ? o.Restarts.ToString(CultureInfo.InvariantCulture) : null, o.Node, o.LastChanger, updated);
            }
            else
            {
                table.Add(o.Name, version, o.LastChanger, updated);
            }
        }

        table.Write(writer);
    }
}
