using System.Text.Json.Nodes;
using GitOrch.Controller.Loops;
using GitOrch.Controller.Tests.Support;
using GitOrch.Core.Manifests;
using GitOrch.Core.Network;
using GitOrch.Workflow.Execution;
using GitOrch.Workflow.Loops;
using static GitOrch.Controller.Tests.Support.Controllers;

namespace GitOrch.Controller.Tests.Loops;

/// <summary>
/// The ipam loop on a real controller: addresses in the node's /64 of the policy's prefix, kept
/// across runs (an in-place restart keeps its address), drawn again on a collision with another
/// pod of the node, and replaced when the pod's node changed.
/// </summary>
public sealed class IpamTests : IAsyncLifetime
{
    private readonly GitRepo _repo = GitRepo.Init();
    private readonly TempDir _state = new("gitorch-state");
    private ControllerService? _controller;

    private ControllerService Controller => _controller!;

    public async Task InitializeAsync()
    {
        _repo.Write("cluster/policy.yaml", """
            apiVersion: gitorch.dev/v1
            kind: ClusterPolicy
            metadata: {name: cluster}
            spec:
              network: {podPrefix: "fd12:3456:789a::/48"}

            """);
        _repo.Write("apps/a.yaml", Manifests.Pod("a")).Write("apps/b.yaml", Manifests.Pod("b"));
        _repo.Commit("Two pods");
        _controller = await OpenAsync(_repo.Root, _state.Path, Node("node-a", cpuMillis: 4000));
        await Controller.SyncAsync();
    }

    public async Task DisposeAsync()
    {
        if (_controller is not null)
        {
            await _controller.DisposeAsync();
        }

        _repo.Dispose();
        _state.Dispose();
    }

    private JsonObject Stored(string pod) => ManifestJson.Parse(Controller.Store.Get(PodRef(pod))!.ObjectJson);

    private string PodIp(string pod) => Stored(pod)["status"]!["podIP"]!.ToString();

    /// <summary>Runs ipam for pod b as the engine would, on the object as given.</summary>
    private async Task<LoopAnswer> RunIpamAsync(JsonObject podB)
    {
        var transaction = Controller.Workflows.Engine.Current(PodRef("b"))!;
        var invocation = new StepInvocation(transaction, transaction.Find("ipam")!, 2, (_, _) => { });
        return await new Ipam(Controller.Store, Controller.Workflows.Pods).RunAsync(new BuiltInStep(PodRef("b"), podB, Controller.Reconciler.Current, invocation), CancellationToken.None);
    }

    [Fact]
    public void EveryPod_GetsAnAddressInItsNodesSlash64_AndNoTwoShareOne()
    {
        var subnet = Controller.Network.SubnetOf("node-a");

        Assert.Equal("fd12:3456:789a:1::/64", subnet);
        Assert.True(PodPrefix.In64(PodIp("a"), subnet), PodIp("a"));
        Assert.True(PodPrefix.In64(PodIp("b"), subnet), PodIp("b"));
        Assert.NotEqual(PodIp("a"), PodIp("b"));
    }

    [Fact]
    public async Task APodKeepsItsAddress_WhenIpamRunsAgain()
    {
        var answer = await RunIpamAsync(Stored("b"));

        Assert.Equal(PodIp("b"), answer.Set["status.podIP"]!.ToString());
    }

    [Fact]
    public async Task AnAddressThatCollidesWithAnotherPodOfTheNode_IsDrawnAgain()
    {
        var b = Stored("b");
        b["status"]!["podIP"] = PodIp("a"); // As after a restore or a hand edit of the state.

        var answer = await RunIpamAsync(b);

        var drawn = answer.Set["status.podIP"]!.ToString();
        Assert.NotEqual(PodIp("a"), drawn);
        Assert.True(PodPrefix.In64(drawn, "fd12:3456:789a:1::/64"), drawn);
    }

    [Fact]
    public async Task APodMovedToAnotherNode_GetsAnAddressOfThatNodesSlash64()
    {
        var b = Stored("b");
        b["status"]!["nodeName"] = "node-b";

        var answer = await RunIpamAsync(b);

        var subnetB = Controller.Network.SubnetOf("node-b");
        Assert.NotEqual("fd12:3456:789a:1::/64", subnetB);
        Assert.True(PodPrefix.In64(answer.Set["status.podIP"]!.ToString(), subnetB), answer.Set["status.podIP"]!.ToString());
    }
}
