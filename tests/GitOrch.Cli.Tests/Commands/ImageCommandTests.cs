using GitOrch.Cli.Tests.Support;
using GitOrch.Core.AgentApi;

namespace GitOrch.Cli.Tests.Commands;

/// <summary>
/// <c>gitorch image</c> uses the store of the node that runs here, as its agent reports it to the
/// controller, wherever the command is run from; <c>--state</c> overrides; with no controller and
/// no store where `up` keeps it, it says what to do.
/// </summary>
public sealed class ImageCommandTests : IAsyncLifetime
{
    private readonly string _agentState = Directory.CreateTempSubdirectory("gitorch-agent-").FullName;
    private readonly string _rootfs = Directory.CreateTempSubdirectory("gitorch-rootfs-").FullName;
    private RunningController? _controller;

    public async Task InitializeAsync()
    {
        _controller = await RunningController.StartAsync();
        await File.WriteAllTextAsync(Path.Combine(_rootfs, "hello.txt"), "hi\n");
        _controller.Host.Controller.Agents.Heartbeat(new NodeHeartbeat("node-a", new Dictionary<string, string>(), 4000, 4L << 30, [], [], ["oci"], StateDir: _agentState));
    }

    public async Task DisposeAsync()
    {
        if (_controller is not null)
        {
            await _controller.DisposeAsync();
        }

        Directory.Delete(_agentState, recursive: true);
        Directory.Delete(_rootfs, recursive: true);
    }

    [Fact]
    public async Task ImportAndLs_UseTheRunningNodesStore_AsItsAgentReportsIt()
    {
        var (exit, stdout, stderr) = await _controller!.RunAsync("image", "import", "tiny:1", _rootfs);

        Assert.True(exit == 0, stderr);
        Assert.Equal($"Imported tiny:1 from rootfs folder {_rootfs} into {Path.Combine(_agentState, "images")} (node node-a's store, as its agent reports it)\n", stdout);
        Assert.True(Directory.Exists(Path.Combine(_agentState, "images", "tiny", "1", "rootfs")));
        var (_, list, _) = await _controller.RunAsync("image", "ls");
        Assert.Equal("tiny:1\n", list);
    }

    [Fact]
    public async Task State_OverridesTheRunningNode()
    {
        using var other = new TempFolder();

        var (exit, stdout, _) = await _controller!.RunAsync("image", "ls", "--state", other.Path);

        Assert.Equal(0, exit);
        Assert.Equal($"No images in {Path.Combine(other.Path, "images")} (--state {other.Path}); import one with `gitorch image import NAME:TAG PATH`.\n", stdout);
    }

    [Fact]
    public async Task AnUnknownNode_IsNamed_WithTheNodesTheControllerKnows()
    {
        var (exit, _, stderr) = await _controller!.RunAsync("image", "ls", "--node", "node-z");

        Assert.Equal((1, $"gitorch: the controller at {_controller.Address} knows no node node-z (nodes: node-a)\n"), (exit, stderr));
    }

    [Fact]
    public void WithNoControllerAndNoStoreHere_ItSaysWhatToDo()
    {
        var (exit, _, stderr) = CliRunner.Run("image", "ls", "--server", "http://127.0.0.1:9");

        Assert.Equal(1, exit);
        Assert.StartsWith("gitorch: cannot tell which image store the node uses: no controller answers at http://127.0.0.1:9", stderr, StringComparison.Ordinal);
        Assert.Contains("give --state DIR", stderr, StringComparison.Ordinal);
    }

    private sealed class TempFolder : IDisposable
    {
        public string Path { get; } = Directory.CreateTempSubdirectory("gitorch-other-").FullName;

        public void Dispose() => Directory.Delete(Path, recursive: true);
    }
}
