using GitOrch.Cli.Tests.Support;

namespace GitOrch.Cli.Tests.Commands;

/// <summary><c>gitorch graph POD --format dot</c> against a real controller.</summary>
[Collection(ImageMissingFixture.Collection)]
public sealed class GraphCommandTests(ImageMissingFixture fixture)
{
    [Fact]
    public async Task Dot_IsADigraphOfThePodsUnitsAndEdges()
    {
        var (exit, stdout, stderr) = await fixture.Controller.RunAsync("graph", "worker", "-n", "demo", "--format", "dot");

        Assert.Equal((0, string.Empty), (exit, stderr));
        Assert.StartsWith("digraph \"Pod/demo/worker\" {\n", stdout, StringComparison.Ordinal);
        Assert.EndsWith("}\n", stdout, StringComparison.Ordinal);
        Assert.Contains("  \"scheduler\" [shape=box, style=filled, fillcolor=palegreen, label=\"scheduler\\n(done)\"];\n", stdout, StringComparison.Ordinal);
        Assert.Contains("  \"image-pull\" [shape=box, style=filled, fillcolor=lightyellow, label=\"image-pull\\n(waiting)\"];\n", stdout, StringComparison.Ordinal);
        Assert.Contains("  \"running.target\" [shape=ellipse, style=filled, fillcolor=lightyellow, label=\"running.target\"];\n", stdout, StringComparison.Ordinal);
        Assert.Contains("  \"scheduler\" -> \"scheduled.target\";\n", stdout, StringComparison.Ordinal);
        Assert.Contains("  \"image-pull\" -> \"storage.target\";\n", stdout, StringComparison.Ordinal);
        Assert.Equal(8, stdout.Split('\n').Count(l => l.Contains(" [shape=", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task AnUnknownFormat_IsRejected()
    {
        var (exit, stdout, _) = await fixture.Controller.RunAsync("graph", "worker", "-n", "demo", "--format", "png");

        Assert.Equal(1, exit);
        Assert.DoesNotContain("digraph", stdout, StringComparison.Ordinal);
    }
}
