using GitOrch.Core.AgentApi;
using GitOrch.Controller.Agents;
using GitOrch.Core.Diagnostics;
using GitOrch.Workflow.Model;

namespace GitOrch.Cli.Tests.Support;

/// <summary>
/// A controller whose node-a reports only alpine:3.20 in its image store, and Pod demo/worker that
/// needs busybox:1.35: it is placed and gets an address, and then waits in image-pull.
/// </summary>
public sealed class ImageMissingFixture : IAsyncLifetime
{
    public const string Collection = "a pod whose image is not imported";

    public static readonly ObjectRef Worker = new("Pod", "demo", "worker");

    private RunningController? _controller;

    internal RunningController Controller => _controller!;

    public string Commit { get; private set; } = string.Empty;

    public async Task InitializeAsync()
    {
        _controller = await RunningController.StartAsync();
        _controller.Host.Controller.Agents.Heartbeat(new NodeHeartbeat("node-a", new Dictionary<string, string>(), 4000, 4L << 30, ["alpine:3.20"], [], ["oci"]));
        _controller.Repo.Write("apps/worker.yaml", """
            apiVersion: gitorch.dev/v1
            kind: Pod
            metadata: {name: worker, namespace: demo}
            spec:
              containers:
                - name: main
                  image: busybox:1.35
                  resources: {cpu: 250m, memory: 64Mi}

            """);
        Commit = _controller.Repo.Commit("Add worker");
        await _controller.SyncAsync();
        await _controller.WaitForAsync(
            Worker,
            t => t.Find("image-pull")?.Message?.StartsWith("image busybox:1.35 is not in node", StringComparison.Ordinal) == true && t.Find("network.target")?.State == UnitState.Done,
            "image-pull reports the missing image and the pod has its address");
    }

    public async Task DisposeAsync()
    {
        if (_controller is not null)
        {
            await _controller.DisposeAsync();
        }
    }
}

[CollectionDefinition(ImageMissingFixture.Collection)]
public sealed class ImageMissingCollection : ICollectionFixture<ImageMissingFixture>;
