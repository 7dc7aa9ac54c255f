using System.Text.RegularExpressions;
using GitOrch.Cli.Tests.Support;

namespace GitOrch.Cli.Tests.Commands;

/// <summary><c>gitorch logs POD</c>: every step log line about the pod, in time order, tagged with its step.</summary>
[Collection(ImageMissingFixture.Collection)]
public sealed partial class LogsCommandTests(ImageMissingFixture fixture)
{
    [GeneratedRegex(@"^(?<time>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}) (?<level>info|warning|error) +(?<step>\S+) \[txn (?<txn>\d+) (?<commit>[0-9a-f]{12})\] (?<message>.+)$")]
    private static partial Regex LogLine();

    [Fact]
    public async Task PrintsTimeOrderedLines_TaggedWithStepAttemptTransactionAndCommit()
    {
        var (exit, stdout, stderr) = await fixture.Controller.RunAsync("logs", "worker", "-n", "demo");

        Assert.Equal((0, string.Empty), (exit, stderr));
        var lines = stdout.TrimEnd('\n').Split('\n').Select(l => LogLine().Match(l)).ToList();
        Assert.All(lines, m => Assert.True(m.Success, "a log line is 'time level step [txn N commit] message': " + m.Value));
        var times = lines.Select(m => m.Groups["time"].Value).ToList();
        Assert.Equal(times.Order(StringComparer.Ordinal), times);

        var transaction = fixture.Controller.Workflow(ImageMissingFixture.Worker)!.Id.ToString(System.Globalization.CultureInfo.InvariantCulture);
        Assert.All(lines, m => Assert.Equal((transaction, fixture.Commit[..12]), (m.Groups["txn"].Value, m.Groups["commit"].Value)));
        Assert.Equal(("-", $"transaction {transaction} started for Pod demo/worker at commit {fixture.Commit[..12]}: 8 unit(s)"), (lines[0].Groups["step"].Value, lines[0].Groups["message"].Value));
        Assert.Contains(lines, m => m.Groups["step"].Value == "scheduler#1" && m.Groups["message"].Value == "done: place Pod demo/worker on node-a");
        Assert.Contains(lines, m => m.Groups["step"].Value == "scheduled.target" && m.Groups["message"].Value == "done: reached");
        Assert.Contains(lines, m => m.Groups["step"].Value == "image-pull#1" && m.Groups["message"].Value.StartsWith("not yet: image busybox:1.35 is not in node node-a's image store", StringComparison.Ordinal));
        var steps = lines.Select(m => m.Groups["step"].Value.Split('#')[0]).ToHashSet();
        Assert.Subset(new HashSet<string> { "-", "scheduler", "scheduled.target", "ipam", "network.target", "image-pull" }, steps);
        var order = lines.Select(m => m.Groups["step"].Value).ToList();
        Assert.True(order.IndexOf("scheduler#1") < order.IndexOf("scheduled.target"), "the scheduler's line comes before scheduled.target's");
        Assert.True(order.IndexOf("scheduled.target") < order.IndexOf("ipam#1"), "scheduled.target's line comes before ipam's");
    }
}
