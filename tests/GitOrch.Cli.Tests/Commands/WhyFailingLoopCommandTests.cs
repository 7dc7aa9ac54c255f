using System.Text.Json;
using GitOrch.Cli.Tests.Support;

namespace GitOrch.Cli.Tests.Commands;

/// <summary><c>gitorch why</c> for a pod whose required control loop failed: the loop is the blocker, with its log lines.</summary>
[Collection(FailingRequiredLoopFixture.Collection)]
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class WhyFailingLoopCommandTests(FailingRequiredLoopFixture fixture)
{
    [Fact]
    public async Task APodWhoseRequiredLoopFailed_IsBlockedByThatLoop_WithItsStateMessageAndLastLogLines()
    {
        var (exit, stdout, stderr) = await fixture.Controller.RunAsync("why", "worker", "-n", "demo");

        Assert.Equal((3, string.Empty), (exit, stderr));
        var lines = stdout.Split('\n');
        var blocked = Array.IndexOf(lines, "Blocked by step mounter (loop mounter)");
        Assert.True(blocked > 0, "the blocking step is named:\n" + stdout);
        Assert.StartsWith("  state    failed for ", lines[blocked + 1], StringComparison.Ordinal);
        Assert.EndsWith(", attempt 1 (1 of 1 allowed failures)", lines[blocked + 1], StringComparison.Ordinal);
        Assert.Equal($"  message  {fixture.Script} exited with code 2: mount: permission denied", lines[blocked + 2]);
        Assert.Matches(@"^  log      \d\d:\d\d:\d\d info mount: connecting to nfs\.example$", lines[blocked + 3]);
        Assert.Matches(@"^           \d\d:\d\d:\d\d info mount: permission denied$", lines[blocked + 4]);
        Assert.Matches($@"^           \d\d:\d\d:\d\d error failed: {System.Text.RegularExpressions.Regex.Escape(fixture.Script)} exited with code 2: mount: permission denied$", lines[blocked + 5]);
        Assert.Equal("  waiting  storage.target → runtime → running.target", lines[blocked + 6]);
    }

    [Fact]
    public async Task JsonOutput_NamesTheFailedLoopAsTheBlocker_WithItsLogLines()
    {
        var (exit, stdout, _) = await fixture.Controller.RunAsync("why", "worker", "-n", "demo", "-o", "json");

        Assert.Equal(3, exit);
        using var json = JsonDocument.Parse(stdout);
        var workflow = json.RootElement.GetProperty("workflow");
        var blocking = workflow.GetProperty("blocking");
        Assert.Equal(("mounter", "failed", $"{fixture.Script} exited with code 2: mount: permission denied"), (
            blocking.GetProperty("name").GetString(), blocking.GetProperty("state").GetString(), blocking.GetProperty("message").GetString()));
        Assert.Equal(
            ["mount: connecting to nfs.example", "mount: permission denied", $"failed: {fixture.Script} exited with code 2: mount: permission denied"],
            blocking.GetProperty("lastLogs").EnumerateArray().Select(l => l.GetProperty("message").GetString()));
        var storage = workflow.GetProperty("units").EnumerateArray().Single(u => u.GetProperty("name").GetString() == "storage.target");
        Assert.Equal(("dependency-failed", $"required unit mounter is failed: {fixture.Script} exited with code 2: mount: permission denied"), (
            storage.GetProperty("state").GetString(), storage.GetProperty("message").GetString()));
    }
}
