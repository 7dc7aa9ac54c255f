using System.Text.Json;
using GitOrch.Cli.Tests.Support;

namespace GitOrch.Cli.Tests.Commands;

/// <summary><c>gitorch why</c> against a real controller: the blocking step first, exit 3 when the pod is not running.</summary>
[Collection(ImageMissingFixture.Collection)]
public sealed class WhyCommandTests(ImageMissingFixture fixture)
{
    private static string[] Lines(string text) => text.Split('\n');

    [Fact]
    public async Task APodWaitingForAnImage_IsNotRunning_BlockedByImagePull_NamingTheImageAndTheImportCommand()
    {
        var (exit, stdout, stderr) = await fixture.Controller.RunAsync("why", "worker", "-n", "demo");

        Assert.Equal((3, string.Empty), (exit, stderr));
        var lines = Lines(stdout);
        var transaction = fixture.Controller.Workflow(ImageMissingFixture.Worker)!.Id;
        Assert.StartsWith("Pod demo/worker is not running (phase Pending on ", lines[0], StringComparison.Ordinal);
        Assert.StartsWith($"Transaction {transaction} for commit {fixture.Commit[..12]}: active, started ", lines[1], StringComparison.Ordinal);
        Assert.Equal(string.Empty, lines[2]);
        Assert.Equal("Blocked by step image-pull (loop image-pull)", lines[3]);
        Assert.StartsWith("  state    waiting for ", lines[4], StringComparison.Ordinal);
        Assert.Equal(
            "  message  image busybox:1.35 is not in node node-a's image store; import it there with `gitorch image import busybox:1.35 PATH --node node-a` (see example-repo/README.md)",
            lines[5]);
        Assert.Contains("  waiting  storage.target → runtime → running.target", lines);
        Assert.Contains(lines, l => l.StartsWith("  log      ", StringComparison.Ordinal)
            && l.EndsWith(" info not yet: image busybox:1.35 is not in node node-a's image store; import it there with `gitorch image import busybox:1.35 PATH --node node-a` (see example-repo/README.md); again in 5s", StringComparison.Ordinal));
    }

    [Fact]
    public async Task WhyTable_ListsEveryUnitWithItsState()
    {
        var (_, stdout, _) = await fixture.Controller.RunAsync("why", "worker", "-n", "demo");

        var rows = Lines(stdout).SkipWhile(l => !l.StartsWith("UNIT", StringComparison.Ordinal)).Skip(1)
            .Where(l => l.Length > 0)
            .Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .ToDictionary(cells => cells[0], cells => cells[1]);
        Assert.Equal(
            new Dictionary<string, string>
            {
                ["scheduler"] = "done",
                ["scheduled.target"] = "done",
                ["image-pull"] = "waiting",
                ["ipam"] = "done",
                ["network.target"] = "done",
                ["storage.target"] = "waiting",
                ["runtime"] = "waiting",
                ["running.target"] = "waiting",
            },
            rows);
    }

    [Fact]
    public async Task JsonOutput_ParsesAndNamesTheBlockingStep()
    {
        var (exit, stdout, _) = await fixture.Controller.RunAsync("why", "worker", "-n", "demo", "--output", "json");

        Assert.Equal(3, exit);
        using var json = JsonDocument.Parse(stdout);
        var root = json.RootElement;
        Assert.False(root.GetProperty("running").GetBoolean());
        Assert.Equal("Pending", root.GetProperty("phase").GetString());
        var workflow = root.GetProperty("workflow");
        Assert.Equal("Pod/demo/worker", workflow.GetProperty("object").GetString());
        Assert.Equal(fixture.Commit, workflow.GetProperty("commit").GetString());
        var blocking = workflow.GetProperty("blocking");
        Assert.Equal(("image-pull", "step", "image-pull", "waiting"), (
            blocking.GetProperty("name").GetString(), blocking.GetProperty("type").GetString(),
            blocking.GetProperty("owner").GetString(), blocking.GetProperty("state").GetString()));
        Assert.StartsWith("image busybox:1.35 is not in node node-a's image store", blocking.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal(["storage.target", "runtime", "running.target"], workflow.GetProperty("waitingOnBlocking").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(8, workflow.GetProperty("units").GetArrayLength());
    }

    [Fact]
    public async Task AnUnknownPod_IsAnError_SayingHowToListPods()
    {
        var (exit, stdout, stderr) = await fixture.Controller.RunAsync("why", "nobody", "-n", "demo");

        Assert.Equal((1, string.Empty), (exit, stdout));
        Assert.Equal("gitorch: Pod demo/nobody not found; list objects with `gitorch get pod -n demo`\n", stderr);
    }
}
