using GitOrch.Cli.Commands;
using GitOrch.Cli.Output;
using GitOrch.Controller.Api;
using GitOrch.Core.AgentApi;

namespace GitOrch.Cli.Tests.Output;

/// <summary>Text a node or a pod reports reaches the terminal as text, one line per line of output.</summary>
public sealed class HostileTextOutputTests
{
    [Fact]
    public void ANodesNetworkProblem_IsPrintedEscaped()
    {
        var network = new PodNetworkModel("fd00::5", "fd00::/64", null, null, [], ["route missing\n  peer     node-b fd01::/64 via -: installed\u001b]52;c;cHduZWQ=\u0007"]);
        var output = new StringWriter();

        WhyCommand.PrintNetwork(network, "node-a\u202e", output, Terminal.Plain);

        var text = output.ToString();
        Assert.DoesNotContain(text, c => c is '\u001b' or '\u0007' or '\u202e');
        Assert.Contains(@"route missing\n  peer     node-b", text, StringComparison.Ordinal);
        Assert.Contains(@"of node-a\u202e.", text, StringComparison.Ordinal);
    }

    [Fact]
    public void AContainersLastOutput_IsPrintedEscaped_OneLineEach()
    {
        var container = new ContainerReport("main", "crashloop", null, 2, 3, null, LastOutput: ["starting\u001b[2J", "config\rmissing"]);
        var output = new StringWriter();

        ContainerDetails.Print([container], output, DateTimeOffset.UnixEpoch);

        var lines = output.ToString().TrimEnd().Split('\n');
        Assert.Equal(3, lines.Length);
        Assert.EndsWith(@"starting\u001b[2J", lines[1], StringComparison.Ordinal);
        Assert.EndsWith(@"config\rmissing", lines[2], StringComparison.Ordinal);
    }
}
