using System.CommandLine;
using System.Globalization;
using GitOrch.Agent;
using GitOrch.Cli.Output;
using GitOrch.Core.Manifests;
using Microsoft.Extensions.Logging;

namespace GitOrch.Cli.Commands;

/// <summary><c>gitorch agent</c>: a node agent, one per machine.</summary>
internal static class AgentCommand
{
    public static Command Create()
    {
        var server = new Option<string>("--server")
        {
            Description = $"The controller's node endpoint, https://HOST:7781 (gRPC with mutual TLS); several, comma-separated, are tried in turn",
            HelpName = "URL",
            DefaultValueFactory = _ => Controller.ControllerOptions.DefaultAgentListenUp,
        };
        var join = new Option<string?>("--join") { Description = "A join token (gitorch node token prints one); needed only on the first start, until the agent holds a node certificate", HelpName = "TOKEN" };
        var node = new Option<string>("--node") { Description = "This node's name", Required = true, HelpName = "NAME" };
        var state = new Option<string>("--state") { Description = "The agent's state folder (desired pods, logs, image store)", DefaultValueFactory = _ => ".gitorch/agent", HelpName = "DIR" };
        var labels = new Option<string?>("--labels") { Description = "Node labels for nodeSelector, k=v,k=v", HelpName = "k=v,..." };
        var capacity = new Option<string?>("--capacity") { Description = "What pods may reserve, cpu=2,memory=4Gi (default: the machine)", HelpName = "cpu=N,memory=Q" };
        var address = new Option<string?>("--address") { Description = "The address other nodes reach this node at (the next hop of their route to its pods' /64); default: the local address it reaches the controller from", HelpName = "ADDR" };
        var netns = new Option<string?>("--netns") { Description = "Keep the node's pod network (veths, routes, forwarding, egress) in this named network namespace instead of the agent's own", HelpName = "NAME" };
        var command = new Command("agent", "Run a node agent: keep this node's pods running, report to the controller") { server, join, node, state, labels, capacity, address, netns };
        command.SetAction(async (parse, ct) =>
        {
            using var heap = NativeHeap.ForLongRunningVerb(TimeProvider.System);
            var options = Options(parse.GetRequiredValue(server), parse.GetRequiredValue(node), parse.GetRequiredValue(state), parse.GetValue(labels), parse.GetValue(capacity))
                with
                {
                    JoinToken = parse.GetValue(join) ?? (Environment.GetEnvironmentVariable(JoinVariable) is { Length: > 0 } env ? env : null),
                    UnderlayAddress = Address(parse.GetValue(address)),
                    NetworkNamespace = Netns(parse.GetValue(netns)),
                };
            using var logs = LoggerFactory.Create(b => b.AddGitOrchConsole());
            await using var agent = new NodeAgent(options, logs, TimeProvider.System);
            await parse.InvocationConfiguration.Output.WriteLineAsync($"gitorch: agent for node {options.Node} ({options.CpuMillis}m cpu, {options.MemoryBytes / (1024 * 1024)}Mi), controller {options.Server}, state in {Path.GetFullPath(options.StateDir)}");
            try
            {
                await agent.RunAsync(ct);
            }
            catch (InvalidOperationException ex)
            {
                throw new CliException(ex.Message);
            }
            catch (GitOrch.Agent.Trust.JoinException ex)
            {
                throw new CliException(ex.Message);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                await parse.InvocationConfiguration.Output.WriteLineAsync("gitorch: agent stopping; pods keep running and are re-adopted when it starts again");
            }

            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>The environment variable that may hold the join token (so that it stays out of the process list).</summary>
    public const string JoinVariable = "GITORCH_JOIN_TOKEN";

    internal static AgentOptions Options(string server, string node, string state, string? labels, string? capacity)
    {
        if (!System.Text.RegularExpressions.Regex.IsMatch(node, "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$") || node.Length > 63)
        {
            throw new CliException($"--node \"{node}\" is not a DNS-1123 label (lowercase letters, digits and '-', at most 63 characters)");
        }

        var options = new AgentOptions { Server = string.Join(',', server.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(s => Urls.Require(s, "--server"))), Node = node, StateDir = state, Labels = Pairs(labels, "--labels") };
        foreach (var (key, value) in Pairs(capacity, "--capacity"))
        {
            try
            {
                options = key switch
                {
                    "cpu" => options with { CpuMillis = Quantity.CpuMillis(value) },
                    "memory" => options with { MemoryBytes = Quantity.MemoryBytes(value) },
                    _ => throw new CliException($"--capacity knows cpu and memory, not \"{key}\""),
                };
            }
            catch (FormatException)
            {
                throw new CliException($"--capacity {key}={value}: not a quantity (cpu=2 or cpu=1500m, memory=4Gi)");
            }
        }

        return options;
    }

    /// <summary>An <c>--address</c>: an IPv6 or IPv4 address other nodes can route to (not loopback, link-local or unspecified).</summary>
    internal static string? Address(string? text)
    {
        if (text is null)
        {
            return null;
        }

        if (!System.Net.IPAddress.TryParse(text, out var address) || text.Contains('/', StringComparison.Ordinal))
        {
            throw new CliException($"--address \"{text}\" is not an IP address; give the address other nodes reach this one at, such as fd00:10::5 or 10.0.0.5");
        }

        if (System.Net.IPAddress.IsLoopback(address) || address.IsIPv6LinkLocal || address.Equals(System.Net.IPAddress.Any) || address.Equals(System.Net.IPAddress.IPv6Any)
            || address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork && address.GetAddressBytes()[0] == 169 && address.GetAddressBytes()[1] == 254)
        {
            throw new CliException($"--address {text} is loopback, link-local or unspecified: other nodes cannot route to it; give an address on the network the nodes share");
        }

        return address.ToString();
    }

    /// <summary>A <c>--netns</c> name, as <c>ip netns</c> takes it.</summary>
    internal static string? Netns(string? name) =>
        name is null ? null
        : System.Text.RegularExpressions.Regex.IsMatch(name, "^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$") && File.Exists("/var/run/netns/" + name) ? name
        : throw new CliException($"--netns \"{name}\" is not a network namespace of this machine (see `ip netns list`)");

    private static Dictionary<string, string> Pairs(string? text, string flag)
    {
        var pairs = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var part in (text ?? string.Empty).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var eq = part.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0)
            {
                throw new CliException($"{flag}: \"{part}\" is not key=value");
            }

            pairs[part[..eq]] = part[(eq + 1)..];
        }

        return pairs;
    }

    internal static string Mi(long bytes) => (bytes / (1024 * 1024)).ToString(CultureInfo.InvariantCulture) + "Mi";
}
