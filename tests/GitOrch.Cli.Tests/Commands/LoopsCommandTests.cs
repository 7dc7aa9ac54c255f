using GitOrch.Cli.Tests.Support;

namespace GitOrch.Cli.Tests.Commands;

/// <summary><c>gitorch loops</c>: every registered control loop, built-in or from Git, with owns, reads and step.</summary>
[Collection(ImageMissingFixture.Collection)]
public sealed class LoopsCommandTests(ImageMissingFixture fixture)
{
    [Fact]
    public async Task ListsEveryBuiltInLoop_WithWhatItOwnsAndReads()
    {
        var (exit, stdout, stderr) = await fixture.Controller.RunAsync("loops");

        Assert.Equal((0, string.Empty), (exit, stderr));
        var blocks = stdout.TrimEnd('\n').Split("\n\n");
        Assert.Equal(
            ["scheduler (built-in)", "ipam (built-in)", "image-pull (built-in)", "runtime (built-in)", "pinned-deployment (built-in)"],
            blocks.Select(b => b.Split('\n')[0]));
        Assert.Equal(
            """
            scheduler (built-in)
              Chooses a node by free cpu/memory (bin-packing) and nodeSelector
              kinds     Pod
              owns      Pod:status.nodeName
              reads     Pod:spec.nodeSelector, Pod:spec.containers[*].resources, Pod:spec.initContainers[*].resources, Pod:spec.availability
              step      after -; before scheduled.target; requires -; wants -
                        timeout 300s, 3 attempt(s)
              handler   built-in
            """,
            blocks[0]);
        Assert.Equal(
            [
                "  owns      Pod:status.nodeName",
                "  owns      Pod:status.podIP, Pod:status.ports",
                "  owns      Pod:status.images",
                "  owns      Pod:status.phase, Pod:status.containers, Pod:status.initContainers, Pod:status.restarts",
                "  owns      PinnedDeployment:status",
            ],
            blocks.Select(b => b.Split('\n').Single(l => l.StartsWith("  owns", StringComparison.Ordinal))));
        Assert.Equal(
            [
                "  reads     Pod:spec.nodeSelector, Pod:spec.containers[*].resources, Pod:spec.initContainers[*].resources, Pod:spec.availability",
                "  reads     Pod:status.nodeName, Pod:spec.runtime, Pod:spec.containers[*].ports, Pod:spec.initContainers[*].ports",
                "  reads     Pod:status.nodeName, Pod:spec.runtime, Pod:spec.containers[*].image, Pod:spec.initContainers[*].image",
                "  reads     Pod:spec, Pod:status.nodeName, Pod:status.podIP, Pod:status.ports, Pod:status.images",
                "  reads     PinnedDeployment:spec, Pod:status.phase",
            ],
            blocks.Select(b => b.Split('\n').Single(l => l.StartsWith("  reads", StringComparison.Ordinal))));
    }
}
