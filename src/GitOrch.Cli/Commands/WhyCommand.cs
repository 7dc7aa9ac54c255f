using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using GitOrch.Cli.Client;
using GitOrch.Cli.Output;
using GitOrch.Controller.Api;
using GitOrch.Core.Rendering;
using GitOrch.Workflow.Analysis;

namespace GitOrch.Cli.Commands;

/// <summary>
/// <c>gitorch why POD</c>: the pod's current transaction, blocking step first (state, how long,
/// owner loop, last message and log lines, what waits on it), then every unit. Exit 0 when the pod
/// is running, 3 when it is not.
/// </summary>
internal static class WhyCommand
{
    public static Command Create(Terminal terminal)
    {
        var pod = new Argument<string>("POD") { Description = "The pod's name (or KIND/NAME)" };
        var ns = CommonOptions.Namespace();
        var server = CommonOptions.Server();
        var output = CommonOptions.Output(OutputFormat.Text, OutputFormat.Json);
        var command = new Command("why", "Why a pod is (not) running: its workflow, blocking step first") { pod, ns, server, output };
        command.SetAction(async (parse, ct) =>
        {
            var obj = ObjectName.Parse(WithKind(parse.GetRequiredValue(pod)), parse.GetValue(ns));
            using var client = ApiClient.For(parse, server);
            var json = await client.GetJsonAsync(obj.Path("/workflow"), ct);
            var why = json.Deserialize<WhyModel>(ApiClient.Json)!;
            var writer = parse.InvocationConfiguration.Output;
            if (parse.GetValue(output) == OutputFormat.Json)
            {
                await writer.WriteLineAsync(JsonSerializer.Serialize(json, ApiClient.Json));
            }
            else
            {
                Print(obj, why, writer, terminal);
            }

            return why.Running ? ExitCodes.Ok : ExitCodes.NotRunning;
        });
        return command;
    }

    internal static string WithKind(string name) => name.Contains('/', StringComparison.Ordinal) ? name : "pod/" + name;

    private static void Print(ObjectName obj, WhyModel why, TextWriter w, Terminal t)
    {
        var report = why.Workflow;
        var now = DateTimeOffset.UtcNow;
        var where = why.Node is null ? string.Empty : $" on {why.Node}";
        var restarts = why.Restarts > 0 ? $", {why.Restarts} restart(s)" : string.Empty;
        w.WriteLine(obj.Kind != "Pod"
            ? (why.Running ? t.Green(VisibleText.OneLine($"{obj.Display} is {why.Phase}.")) : t.Red(VisibleText.OneLine($"{obj.Display} is not done: {why.Phase}.")))
            : why.Running
            ? t.Green(VisibleText.OneLine($"{obj.Display} is running{where}{restarts}."))
            : t.Red(VisibleText.OneLine($"{obj.Display} is not running (phase {why.Phase}{where}{restarts}).")));
        ContainerDetails.Print(why.Containers, w, now);
        w.WriteLine($"Transaction {report.Transaction}{(report.Commit is null ? string.Empty : $" for commit {report.Commit[..12]}")}: {report.State}, started {Time(report.CreatedAt)}.");

        if (why.Running)
        {
            foreach (var failed in report.Units.Where(u => u.State is "failed" or "timed-out"))
            {
                w.WriteLine(t.Yellow($"Note: {failed.Type} {failed.Name} is {failed.State} ({VisibleText.OneLine(failed.Message)}); nothing requires it, so it does not hold the {(obj.Kind == "Pod" ? "pod" : "object")} back."));
            }
        }
        else if (report.Blocking is { } b)
        {
            w.WriteLine();
            w.WriteLine(t.Bold(VisibleText.OneLine($"Blocked by {b.Type} {b.Name}")) + (b.Type == "step" ? VisibleText.OneLine($" (loop {b.Owner})") : string.Empty));
            var attempts = b.Attempts == 0 ? string.Empty
                : b.Failures > 0 ? $", attempt {b.Attempts} ({b.Failures} of {b.MaxAttempts} allowed failures)"
                : $", attempt {b.Attempts}";
            var next = b.NextAttemptAt is { } at && at > now ? $", next attempt in {Duration(at - now)}" : string.Empty;
            w.WriteLine($"  state    {Colour(t, b.State)} for {Duration(now - (b.Since ?? now))}{attempts}{next}");
            if (b.Message is not null)
            {
                var lines = Wrap.Lines(b.Message.ReplaceLineEndings("\n"), t.Width, 11).ToList();
                w.WriteLine($"  message  {VisibleText.OneLine(lines[0])}");
                foreach (var more in lines.Skip(1))
                {
                    w.WriteLine($"           {VisibleText.OneLine(more)}");
                }
            }

            var first = true;
            foreach (var log in b.LastLogs)
            {
                var line = $"{Time(log.Time)} {log.Level} {log.Message}";
                foreach (var part in Wrap.Lines(line.ReplaceLineEndings("\n"), t.Width, 11))
                {
                    w.WriteLine($"  {(first ? "log    " : "       ")}  {VisibleText.OneLine(part)}");
                    first = false;
                }
            }

            if (report.WaitingOnBlocking.Count > 0)
            {
                var chain = string.Join(" → ", report.WaitingOnBlocking);
                var lines = Wrap.Lines(chain, t.Width, 11).ToList();
                w.WriteLine($"  waiting  {VisibleText.OneLine(lines[0])}");
                foreach (var more in lines.Skip(1))
                {
                    w.WriteLine($"           {VisibleText.OneLine(more)}");
                }
            }
        }

        if (why.Network is { } network)
        {
            w.WriteLine();
            PrintNetwork(network, why.Node, w, t);
        }

        w.WriteLine();
        var table = new Table("UNIT", "STATE", "STARTED", "TOOK", "OWNER", "LAST MESSAGE");
        foreach (var u in report.Units)
        {
            var took = u.StartedAt is null ? "-" : Duration((u.EndedAt ?? now) - u.StartedAt.Value);
            var message = u.Message is null ? "-" : u.Message.ReplaceLineEndings(" ") is var m && m.Length > 40 ? m[..39] + "…" : m;
            table.Add(u.Name, u.State, u.StartedAt is null ? "-" : Time(u.StartedAt.Value), took, u.Type == "target" ? "target" : u.Owner, message);
        }

        table.Write(w);
    }

    /// <summary>The connectivity check: the pod's address, what its node sees of it, and the node's routes to its peers.</summary>
    internal static void PrintNetwork(PodNetworkModel network, string? node, TextWriter w, Terminal t)
    {
        w.WriteLine(VisibleText.OneLine($"Network: {network.Address ?? "no address yet"} in {network.NodeSubnet} of {node}{(network.NodeUnderlay is null ? string.Empty : $" (underlay {network.NodeUnderlay})")}."));
        if (network.OnNode is { } on)
        {
            var ipv4 = on.Ipv4 is null ? string.Empty : $", IPv4 egress {on.Ipv4} (node-local, masqueraded)";
            var line = $"  on node  veth {on.HostInterface} {(on.InterfacePresent ? "up" : "missing")}, route {on.Address}/128 {(on.RoutePresent ? "present" : "missing")}{ipv4}";
            w.WriteLine(on.Problem is null ? VisibleText.OneLine(line) : t.Red(VisibleText.OneLine(line + $": {on.Problem}")));
        }
        else if (network.Address is not null)
        {
            w.WriteLine(t.Yellow("  on node  no report from the node about this pod's network yet"));
        }

        foreach (var peer in network.PeerRoutes)
        {
            var line = $"  peer     {peer.Node} {peer.Subnet} via {peer.Via ?? "-"}: {peer.State}";
            w.WriteLine(peer.State == "installed" ? VisibleText.OneLine(line) : t.Red(VisibleText.OneLine(line)));
        }

        foreach (var problem in network.Problems)
        {
            foreach (var (part, i) in Wrap.Lines(VisibleText.OneLine(problem), t.Width, 11).Select((p, i) => (p, i)))
            {
                w.WriteLine(t.Red($"  {(i == 0 ? "problem" : "       ")}  {part}"));
            }
        }
    }

    private static string Colour(Terminal t, string state) => state switch
    {
        "done" => t.Green(state),
        "running" or "waiting" => t.Yellow(state),
        _ => t.Red(state),
    };

    internal static string Time(DateTimeOffset time) => time.ToLocalTime().ToString("HH:mm:ss", CultureInfo.InvariantCulture);

    internal static string Duration(TimeSpan span) =>
        span.TotalSeconds < 60 ? span.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture) + "s"
        : span.TotalMinutes < 60 ? $"{(int)span.TotalMinutes}m{span.Seconds:00}s"
        : $"{(int)span.TotalHours}h{span.Minutes:00}m";
}
