using System.Text.RegularExpressions;
using GitOrch.Cli.Tests.Support;

namespace GitOrch.Cli.Tests.Commands;

/// <summary><c>gitorch analyze critical-chain POD</c> against a real controller.</summary>
[Collection(ImageMissingFixture.Collection)]
public sealed partial class AnalyzeCommandTests(ImageMissingFixture fixture)
{
    [GeneratedRegex(@"^(?<indent> *)(└─)?(?<unit>[a-z.-]+) @\d+\.\d{3}s( \+\d+\.\d{3}s)?$")]
    private static partial Regex ChainLine();

    [Fact]
    public async Task CriticalChain_PrintsTheLongPole_EachUnitWithItsStartAndDuration()
    {
        var (exit, stdout, stderr) = await fixture.Controller.RunAsync("analyze", "critical-chain", "worker", "-n", "demo");

        Assert.Equal((0, string.Empty), (exit, stderr));
        var lines = stdout.TrimEnd('\n').Split('\n');
        var transaction = fixture.Controller.Workflow(ImageMissingFixture.Worker)!.Id;
        Assert.Equal($"The time when a unit was reached is printed after \"@\", the time it took after \"+\" (Pod/demo/worker, transaction {transaction}, active):", lines[0]);
        Assert.Equal(string.Empty, lines[1]);

        // The last unit finished so far is network.target (image-pull still waits); the chain goes back to the scheduler.
        var chain = lines[2..].Select(l => ChainLine().Match(l)).ToList();
        Assert.All(chain, m => Assert.True(m.Success, "a chain line is 'unit @S.SSSs +S.SSSs': " + m.Value));
        Assert.Equal(["network.target", "ipam", "scheduled.target", "scheduler"], chain.Select(m => m.Groups["unit"].Value));
        Assert.Equal([0, 2, 4, 6], chain.Select(m => m.Groups["indent"].Length));
        Assert.Contains(" @", lines[2], StringComparison.Ordinal);
        Assert.StartsWith("      └─scheduler @", lines[^1], StringComparison.Ordinal);
        Assert.Contains(" +", lines[^1], StringComparison.Ordinal);
    }
}
