using GitOrch.Cli.Tests.Support;

namespace GitOrch.Cli.Tests.Commands;

/// <summary><c>gitorch status</c> against a real single-process controller: it is its own leader and only replica.</summary>
public sealed class StatusCommandTests
{
    [Fact]
    public async Task ASingleProcessController_ShowsItselfAsTheLeaderAndOnlyReplica()
    {
        await using var controller = await RunningController.StartAsync();

        var (exit, output, error) = await controller.RunAsync("status");

        Assert.Equal((0, string.Empty), (exit, error));
        var name = Environment.MachineName;
        Assert.Contains($"Leader:    {name} at {controller.Address} (this replica)\n", output, StringComparison.Ordinal);
        Assert.Contains($"Replicas:  {name} (leader, answered) {controller.Address}\n", output, StringComparison.Ordinal);
        Assert.Contains("Objects:   none", output, StringComparison.Ordinal);
    }
}
