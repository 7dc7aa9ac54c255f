using System.CommandLine;
using System.Text.Json;
using GitOrch.Cli.Client;
using GitOrch.Cli.Output;
using GitOrch.Controller.Api;
using GitOrch.Core.Rendering;

namespace GitOrch.Cli.Commands;

/// <summary><c>gitorch status</c>: what the controller follows, the leader and every replica, applied and rejected commits (with diagnostics), objects.</summary>
internal static class StatusCommand
{
    public static Command Create(Terminal terminal)
    {
        var server = CommonOptions.Server();
        var output = CommonOptions.Output(OutputFormat.Text, OutputFormat.Json);
        var limit = new Option<int>("--limit") { Description = "How many recent commits to show", DefaultValueFactory = _ => 10 };
        var command = new Command("status", "Commits applied and rejected (with diagnostics), objects and nodes") { server, output, limit };
        command.SetAction(async (parse, ct) =>
        {
            using var client = ApiClient.For(parse, server);
            var path = $"api/v1/status?limit={parse.GetValue(limit)}";
            var writer = parse.InvocationConfiguration.Output;
            if (parse.GetValue(output) == OutputFormat.Json)
            {
                await writer.WriteLineAsync(JsonSerializer.Serialize(await client.GetJsonAsync(path, ct), ApiClient.Json));
                return ExitCodes.Ok;
            }

            Print(await client.GetAsync<StatusModel>(path, ct), writer, terminal);
            return ExitCodes.Ok;
        });
        return command;
    }

    private static void Print(StatusModel status, TextWriter w, Terminal t)
    {
        var c = status.Controller;
        w.WriteLine($"Repo:      {c.Repo} (branch {c.Branch}{(c.Path.Length > 0 ? ", path " + c.Path : string.Empty)})");
        w.WriteLine($"State:     {c.StateDir}");
        w.WriteLine($"Head:      {Short(c.Head)}    Applied: {Short(c.LastApplied)}{(c.Head is not null && c.Head == c.LastApplied ? " (up to date)" : string.Empty)}");
        if (status.Replication is { } replication)
        {
            PrintReplicas(replication, w, t);
        }

        if (c.LastError is not null)
        {
            w.WriteLine($"Error:     {t.Red(VisibleText.OneLine(c.LastError))}");
        }

        if (c.MirrorError is not null)
        {
            w.WriteLine($"Mirror:    {t.Yellow(VisibleText.OneLine(c.MirrorError))}");
        }

        if (c.WorkflowError is not null)
        {
            w.WriteLine($"Workflows: {t.Yellow(VisibleText.OneLine(c.WorkflowError))}");
        }

        w.WriteLine();
        var table = new Table("COMMIT", "STATE", "AUTHOR", "OBJECTS", "SUBJECT");
        foreach (var commit in status.Commits)
        {
            table.Add(commit.Sha[..12], commit.State, commit.Email, commit.ObjectsChanged.ToString(System.Globalization.CultureInfo.InvariantCulture), commit.Subject);
        }

        if (table.Count == 0)
        {
            w.WriteLine("No commits processed yet.");
        }
        else
        {
            table.Write(w);
        }

        foreach (var rejected in status.Commits.Where(x => x.State == "rejected"))
        {
            w.WriteLine();
            w.WriteLine(t.Red($"Rejected {rejected.Sha[..12]} \"{VisibleText.OneLine(rejected.Subject)}\" by {VisibleText.OneLine(rejected.Email)}:"));
            foreach (var d in rejected.Diagnostics)
            {
                w.WriteLine("  " + DiagnosticPrinter.Line(d.File, d.Line, d.Column, d.Severity, d.Code, d.Message));
            }
        }

        w.WriteLine();
        w.WriteLine("Objects:   " + (status.Objects.Count == 0 ? "none" : string.Join(", ", status.Objects.OrderBy(kv => kv.Key).Select(kv => $"{kv.Value} {kv.Key}"))));
        w.WriteLine("Nodes:     " + (status.Nodes.Count == 0 ? "none" : string.Join(", ", status.Nodes.Select(n => VisibleText.OneLine(n.Name)))));
    }

    /// <summary>The leader (or why none is known) and every replica with its role, as the answering replica sees them.</summary>
    private static void PrintReplicas(ReplicationModel r, TextWriter w, Terminal t)
    {
        var leader = r.Replicas.FirstOrDefault(x => x.Name == r.Leader);
        w.WriteLine(r.Leader is null
            ? $"Leader:    {t.Red($"none known ({VisibleText.OneLine(r.Why ?? "no leader elected yet")})")}"
            : $"Leader:    {r.Leader}{(leader?.ApiUrl is { } url ? " at " + url : string.Empty)}{(r.Leader == r.Replica ? " (this replica)" : string.Empty)}");
        w.WriteLine("Replicas:  " + string.Join(", ", r.Replicas.Select(x =>
            $"{x.Name} ({x.Role}{(x.Name == r.Replica ? ", answered" : string.Empty)}){(x.ApiUrl is { } api ? " " + api : string.Empty)}")));
        if (r.Why is not null && r.Leader is not null)
        {
            w.WriteLine($"Replica:   {t.Yellow($"{r.Replica}: {VisibleText.OneLine(r.Why)}")}");
        }
    }

    private static string Short(string? sha) => sha is null ? "-" : sha[..Math.Min(12, sha.Length)];
}
