using GitOrch.Core.Diagnostics;
using GitOrch.Workflow.Model;

namespace GitOrch.Cli.Tests.Support;

/// <summary>
/// A controller with ControlLoop mounter (a /bin/sh script that logs two lines on stderr and exits 2)
/// and a storage.target drop-in that requires it: Pod demo/worker cannot reach storage.target.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class FailingRequiredLoopFixture : IAsyncLifetime
{
    public const string Collection = "a pod blocked by a failing required loop";

    public static readonly ObjectRef Worker = new("Pod", "demo", "worker");

    private readonly string _scripts = Directory.CreateTempSubdirectory("gitorch-cli-loops-").FullName;
    private RunningController? _controller;

    internal RunningController Controller => _controller!;

    public string Script => Path.Combine(_scripts, "mounter.sh");

    public async Task InitializeAsync()
    {
        await File.WriteAllTextAsync(Script, "#!/bin/sh\ncat > /dev/null\necho 'mount: connecting to nfs.example' >&2\necho 'mount: permission denied' >&2\nexit 2\n");
        // Exec loops run as uid 65534 when the tests run as root: the script and its folder must be reachable.
        File.SetUnixFileMode(_scripts, (UnixFileMode)0b111_101_101);
        File.SetUnixFileMode(Script, (UnixFileMode)0b111_101_101);
        _controller = await RunningController.StartAsync();
        _controller.Repo
            .Write("apps/worker.yaml", """
                apiVersion: gitorch.dev/v1
                kind: Pod
                metadata: {name: worker, namespace: demo}
                spec:
                  containers:
                    - name: main
                      image: busybox:1.35
                      resources: {cpu: 250m, memory: 64Mi}
                  volumes:
                    - {name: data, emptyDir: {}}

                """)
            .Write("cluster/loops.yaml", $$"""
                apiVersion: gitorch.dev/v1
                kind: ControlLoop
                metadata: {name: mounter}
                spec:
                  description: Mounts volumes (a test script that fails)
                  objectKinds: [Pod]
                  step: {after: [scheduled.target], before: [storage.target], timeoutSeconds: 30, maxAttempts: 1}
                  owns: ["Pod:status.volumes"]
                  reads: ["Pod:spec.volumes"]
                  exec: {command: ["{{Script}}"]}

                """)
            .Write("cluster/targets.yaml", """
                apiVersion: gitorch.dev/v1
                kind: Target
                metadata: {name: storage.target}
                spec: {description: Volumes are mounted, requires: [mounter]}

                """);
        _controller.Repo.Commit("Worker, whose storage requires the mounter loop");
        await _controller.SyncAsync();
        await _controller.WaitForAsync(
            Worker,
            t => t.Find("mounter")?.State == UnitState.Failed && t.Find("storage.target")?.State == UnitState.DependencyFailed,
            "mounter fails and storage.target fails with it");
    }

    public async Task DisposeAsync()
    {
        if (_controller is not null)
        {
            await _controller.DisposeAsync();
        }

        Directory.Delete(_scripts, recursive: true);
    }
}

[CollectionDefinition(FailingRequiredLoopFixture.Collection)]
public sealed class FailingRequiredLoopCollection : ICollectionFixture<FailingRequiredLoopFixture>;
