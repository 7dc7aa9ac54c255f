using static GitOrch.Contracts.Agent.AgentMapping;
using GitOrch.Core.AgentApi;

namespace GitOrch.Controller.Tests.Agents;

/// <summary>Every field of a node's heartbeat survives the trip through the gRPC contract.</summary>
public sealed class AgentMappingTests
{
    [Fact]
    public void Heartbeat_WithCrashLoopInitContainersAndStateDir_RoundTripsThroughTheProto()
    {
        var at = DateTimeOffset.FromUnixTimeMilliseconds(1_780_000_000_000);
        var container = new ContainerReport("main", "crashloop", null, 4, 1, at, at.AddSeconds(1), at.AddSeconds(17), ["fatal: config file missing (×3)"]);
        var init = new InitContainerReport("migrate", "retrying", 2, 3, at, at.AddSeconds(2), at.AddSeconds(10), "exited with code 3", ["no database"]);
        var pod = new PodReport("demo/web-0", "g7", "CrashLoop", 4, "main exited", [container], null, [init]);
        var heartbeat = new NodeHeartbeat("node-a", new Dictionary<string, string> { ["zone"] = "home" }, 2000, 1 << 30, ["busybox:1.35"], [pod], ["process", "oci"], StateDir: "/srv/state/agent");

        var back = heartbeat.ToProto().FromProto();

        Assert.Equal("/srv/state/agent", back.StateDir);
        var backPod = Assert.Single(back.Pods);
        var backContainer = Assert.Single(backPod.Containers);
        Assert.Equal(container with { LastOutput = null }, backContainer with { LastOutput = null });
        Assert.Equal(container.LastOutput, backContainer.LastOutput);
        var backInit = Assert.Single(backPod.InitContainers!);
        Assert.Equal(init with { LastLines = [] }, backInit with { LastLines = [] });
        Assert.Equal(init.LastLines, backInit.LastLines);
    }

    [Fact]
    public void Pod_WithoutInitContainers_HasNoneAfterTheTrip()
    {
        var pod = new PodReport("demo/web-0", "g1", "Running", 0, null, []);

        Assert.Null(pod.ToProto().FromProto().InitContainers);
    }
}
