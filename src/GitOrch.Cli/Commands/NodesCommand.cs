using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using GitOrch.Cli.Client;
using GitOrch.Cli.Output;
using GitOrch.Controller.Api;
using GitOrch.Core.Rendering;

namespace GitOrch.Cli.Commands;

/// <summary><c>gitorch nodes</c> and <c>gitorch node dead NAME</c>.</summary>
internal static class NodesCommand
{
    public static Command CreateList()
    {
        var server = CommonOptions.Server();
        var output = CommonOptions.Output(OutputFormat.Text, OutputFormat.Json);
        var command = new Command("nodes", "Nodes, their health and their pods") { server, output };
        command.SetAction(async (parse, ct) =>
        {
            using var client = ApiClient.For(parse, server);
            var json = await client.GetJsonAsync("api/v1/nodes", ct);
            var writer = parse.InvocationConfiguration.Output;
            if (parse.GetValue(output) == OutputFormat.Json)
            {
                await writer.WriteLineAsync(JsonSerializer.Serialize(json, ApiClient.Json));
                return ExitCodes.Ok;
            }

            var table = new Table("NODE", "STATE", "CPU", "MEMORY", "LAST SEEN", "RUNTIMES", "SUBNET", "UNDERLAY", "PODS");
            var nodes = json.Deserialize<List<NodeStatusModel>>(ApiClient.Json)!;
            foreach (var node in nodes)
            {
                table.Add(node.Name, node.Condition ?? "ready", $"{node.CpuMillis}m", AgentCommand.Mi(node.MemoryBytes),
                    node.LastSeen?.ToLocalTime().ToString("HH:mm:ss", CultureInfo.InvariantCulture) ?? "never",
                    node.Runtimes.Count == 0 ? "-" : string.Join(",", node.Runtimes),
                    node.Network?.Subnet ?? "-", node.Network?.Underlay ?? "-",
                    node.Assigned.Count == 0 ? "-" : string.Join(", ", node.Assigned.Select(p => p.Split('/', 2)[^1])));
            }

            table.Write(writer);
            foreach (var node in nodes.Where(n => n.Network is not null))
            {
                foreach (var route in node.Network!.PeerRoutes)
                {
                    await writer.WriteLineAsync(VisibleText.OneLine($"{node.Name}: route to {route.Node} {route.Subnet} via {route.Via ?? "-"}: {route.State}"));
                }

                foreach (var problem in node.Network.Problems)
                {
                    await writer.WriteLineAsync(VisibleText.OneLine($"{node.Name}: problem: {problem}"));
                }
            }
            return ExitCodes.Ok;
        });
        return command;
    }

    public static Command CreateNode()
    {
        var name = new Argument<string>("NAME") { Description = "The node" };
        var server = CommonOptions.Server();
        var dead = new Command("dead", "Declare a lost node dead: all its pods (best-effort ones too) are rescheduled") { name, server };
        dead.SetAction(async (parse, ct) =>
        {
            using var client = ApiClient.For(parse, server);
            var answer = await client.PostAsync<JsonElement>($"api/v1/nodes/{Uri.EscapeDataString(parse.GetRequiredValue(name))}/dead", ct);
            var moved = answer.GetProperty("rescheduled").EnumerateArray().Select(p => p.GetString()).ToList();
            if (answer.TryGetProperty("warning", out var warning) && warning.ValueKind == System.Text.Json.JsonValueKind.String)
            {
                await parse.InvocationConfiguration.Error.WriteLineAsync($"gitorch: warning: {warning.GetString()}");
            }

            await parse.InvocationConfiguration.Output.WriteLineAsync(moved.Count == 0
                ? $"Node {parse.GetValue(name)} is declared dead; it had no pods."
                : $"Node {parse.GetValue(name)} is declared dead; rescheduling {string.Join(", ", moved)}.");
            return ExitCodes.Ok;
        });
        var revokeName = new Argument<string>("NAME") { Description = "The node" };
        var revokeServer = CommonOptions.Server();
        var revoke = new Command("revoke", "Revoke a node's certificates: its agent is refused from its next call and joins again only with a new join token") { revokeName, revokeServer };
        revoke.SetAction(async (parse, ct) =>
        {
            using var client = ApiClient.For(parse, revokeServer);
            var answer = await client.PostAsync<JsonElement>($"api/v1/nodes/{Uri.EscapeDataString(parse.GetRequiredValue(revokeName))}/revoke", ct);
            await parse.InvocationConfiguration.Output.WriteLineAsync(
                $"Node {parse.GetValue(revokeName)}'s certificates are revoked ({answer.GetProperty("certificates").GetInt32()} issued by joins); its agent is refused from its next call. Its pods stay assigned: `gitorch node dead {parse.GetValue(revokeName)}` reschedules them.");
            return ExitCodes.Ok;
        });
        return new Command("node", "Operate on a node, or let a new one join") { dead, revoke, TokenCommand.CreateJoin() };
    }
}
