using System.Text.Json.Nodes;
using GitOrch.Core.Diagnostics;
using GitOrch.Core.Loading;
using GitOrch.Core.Manifests;
using GitOrch.Core.Rollouts;
using GitOrch.Core.Schema;
using GitOrch.Core.Tests.Support;

namespace GitOrch.Core.Tests.Rollouts;

public sealed class PinnedPodsTests
{
    private static string Deployment(int replicas, int percentNext, string previousLabels = "{version: \"1.16\"}", string nextLabels = "{version: \"1.17\"}", string metadataLabels = "{app: web, tier: front}") => $$"""
        apiVersion: gitorch.dev/v1
        kind: PinnedDeployment
        metadata:
          name: web
          namespace: demo
          labels: {{metadataLabels}}
        spec:
          replicas: {{replicas}}
          percentNext: {{percentNext}}
          previous:
            labels: {{previousLabels}}
            spec:
              containers: [{name: main, image: "busybox:1.35"}]
          next:
            labels: {{nextLabels}}
            spec:
              containers: [{name: main, image: "busybox:1.36"}]
        """;

    private static LoadedObject Load(string yaml)
    {
        var result = TestManifests.Validate(yaml);
        result.NoErrors();
        return Assert.Single(result.Objects);
    }

    private static IReadOnlyList<(ObjectRef Ref, string Track, JsonObject Pod)> Desired(LoadedObject obj) =>
        PinnedPods.Desired((PinnedDeployment)obj.Object, obj.Json);

    // Expected values worked out by hand: exact = replicas × percent / 100; Up = ceiling, Down = floor,
    // Nearest = floor(exact + 0.5) (a half rounds up).
    [Theory]
    [InlineData(5, 10, Rounding.Up, 1)] // 0.5
    [InlineData(5, 10, Rounding.Down, 0)]
    [InlineData(5, 10, Rounding.Nearest, 1)]
    [InlineData(5, 30, Rounding.Up, 2)] // 1.5
    [InlineData(5, 30, Rounding.Down, 1)]
    [InlineData(5, 30, Rounding.Nearest, 2)]
    [InlineData(5, 40, Rounding.Up, 2)] // 2 exactly
    [InlineData(5, 40, Rounding.Down, 2)]
    [InlineData(5, 40, Rounding.Nearest, 2)]
    [InlineData(5, 50, Rounding.Up, 3)] // 2.5
    [InlineData(5, 50, Rounding.Down, 2)]
    [InlineData(5, 50, Rounding.Nearest, 3)]
    [InlineData(5, 90, Rounding.Up, 5)] // 4.5
    [InlineData(5, 90, Rounding.Down, 4)]
    [InlineData(5, 90, Rounding.Nearest, 5)]
    [InlineData(5, 99, Rounding.Up, 5)] // 4.95
    [InlineData(5, 99, Rounding.Down, 4)]
    [InlineData(5, 99, Rounding.Nearest, 5)]
    [InlineData(3, 50, Rounding.Up, 2)] // 1.5
    [InlineData(3, 50, Rounding.Down, 1)]
    [InlineData(3, 50, Rounding.Nearest, 2)]
    [InlineData(3, 33, Rounding.Up, 1)] // 0.99
    [InlineData(3, 33, Rounding.Down, 0)]
    [InlineData(3, 33, Rounding.Nearest, 1)]
    [InlineData(3, 34, Rounding.Up, 2)] // 1.02
    [InlineData(3, 34, Rounding.Down, 1)]
    [InlineData(3, 34, Rounding.Nearest, 1)]
    [InlineData(3, 0, Rounding.Up, 0)] // 0
    [InlineData(3, 0, Rounding.Down, 0)]
    [InlineData(3, 0, Rounding.Nearest, 0)]
    [InlineData(3, 100, Rounding.Up, 3)] // 3
    [InlineData(3, 100, Rounding.Down, 3)]
    [InlineData(3, 100, Rounding.Nearest, 3)]
    [InlineData(0, 0, Rounding.Nearest, 0)] // no replicas: nothing runs next, whatever the percentage
    [InlineData(0, 50, Rounding.Up, 0)]
    [InlineData(0, 50, Rounding.Down, 0)]
    [InlineData(0, 50, Rounding.Nearest, 0)]
    [InlineData(0, 100, Rounding.Up, 0)]
    [InlineData(1, 49, Rounding.Up, 1)] // 0.49
    [InlineData(1, 49, Rounding.Down, 0)]
    [InlineData(1, 49, Rounding.Nearest, 0)]
    [InlineData(1, 50, Rounding.Up, 1)] // 0.5
    [InlineData(1, 50, Rounding.Down, 0)]
    [InlineData(1, 50, Rounding.Nearest, 1)]
    [InlineData(1, 51, Rounding.Up, 1)] // 0.51
    [InlineData(1, 51, Rounding.Down, 0)]
    [InlineData(1, 51, Rounding.Nearest, 1)]
    [InlineData(4, 10, Rounding.Up, 1)] // 0.4 (docs/manifests.md's example)
    [InlineData(4, 10, Rounding.Down, 0)]
    [InlineData(4, 10, Rounding.Nearest, 0)]
    [InlineData(7, 1, Rounding.Up, 1)] // 0.07
    [InlineData(7, 1, Rounding.Nearest, 0)]
    [InlineData(10, 25, Rounding.Nearest, 3)] // 2.5
    [InlineData(10000, 100, Rounding.Nearest, 10000)] // the largest replicas the schema allows
    [InlineData(10000, 1, Rounding.Down, 100)]
    public void NextCount_RoundsReplicasTimesPercent_AsAsked(int replicas, int percentNext, Rounding rounding, int expected) =>
        Assert.Equal(expected, PinnedPods.NextCount(replicas, percentNext, rounding));

    [Fact]
    public void Desired_NamesPods_NameDashOrdinal_InOrdinalOrder_InTheDeploymentsNamespace()
    {
        var pods = Desired(Load(Deployment(5, 40)));

        Assert.Equal(["web-0", "web-1", "web-2", "web-3", "web-4"], pods.Select(p => p.Ref.Name));
        Assert.All(pods, p => Assert.Equal(new ObjectRef("Pod", "demo", p.Ref.Name), p.Ref));
        Assert.All(pods, p => Assert.Equal("demo", (string?)p.Pod["metadata"]!["namespace"]));
        Assert.All(pods, p => Assert.Equal(p.Ref.Name, (string?)p.Pod["metadata"]!["name"]));
        Assert.All(pods, p => Assert.Equal("Pod", (string?)p.Pod["kind"]));
        Assert.All(pods, p => Assert.Equal("gitorch.dev/v1", (string?)p.Pod["apiVersion"]));
    }

    [Fact]
    public void Desired_PutsOrdinalsBelowNextCount_OnNext_AndTheRest_OnPrevious()
    {
        var pods = Desired(Load(Deployment(5, 40)));

        Assert.Equal(["next", "next", "previous", "previous", "previous"], pods.Select(p => p.Track));
        Assert.Equal(["busybox:1.36", "busybox:1.36", "busybox:1.35", "busybox:1.35", "busybox:1.35"],
            pods.Select(p => (string?)p.Pod.SelectPath("spec.containers[0].image")));
    }

    [Fact]
    public void Desired_AtZeroPercent_RunsEveryPodOnPrevious_AndAtHundred_OnNext()
    {
        Assert.All(Desired(Load(Deployment(3, 0))), p => Assert.Equal("previous", p.Track));
        Assert.All(Desired(Load(Deployment(3, 100))), p => Assert.Equal("next", p.Track));
    }

    [Fact]
    public void Desired_WithZeroReplicas_WantsNoPods() => Assert.Empty(Desired(Load(Deployment(0, 50))));

    [Fact]
    public void Desired_Labels_AreDeploymentLabels_ThenTemplateLabels_ThenDeploymentAndTrack()
    {
        var pods = Desired(Load(Deployment(2, 50)));

        var next = (JsonObject)pods[0].Pod["metadata"]!["labels"]!;
        Assert.Equal(
            [("app", "web"), ("tier", "front"), ("version", "1.17"), ("gitorch.dev/pinned-deployment", "web"), ("gitorch.dev/track", "next")],
            next.Select(p => (p.Key, (string)p.Value!)));
        var previous = (JsonObject)pods[1].Pod["metadata"]!["labels"]!;
        Assert.Equal(
            [("app", "web"), ("tier", "front"), ("version", "1.16"), ("gitorch.dev/pinned-deployment", "web"), ("gitorch.dev/track", "previous")],
            previous.Select(p => (p.Key, (string)p.Value!)));
    }

    [Fact]
    public void Desired_TemplateLabel_OverridesADeploymentLabelOfTheSameKey_AndTheGitOrchLabelsWinOverBoth()
    {
        var pods = Desired(Load(Deployment(1, 100, nextLabels: "{tier: canary}", metadataLabels: "{app: web, tier: front}")));

        var labels = (JsonObject)pods[0].Pod["metadata"]!["labels"]!;
        Assert.Equal("canary", (string?)labels["tier"]);
        Assert.Equal("web", (string?)labels["gitorch.dev/pinned-deployment"]);
        Assert.Equal("next", (string?)labels["gitorch.dev/track"]);
    }

    [Fact]
    public void Desired_Pod_HasExactlyApiVersionKindMetadataAndTheTemplateSpec_NoStatus()
    {
        var obj = Load(Deployment(1, 0));
        var pod = Desired(obj)[0].Pod;

        Assert.Equal(["apiVersion", "kind", "metadata", "spec"], pod.Select(p => p.Key));
        Assert.Equal(["name", "namespace", "labels"], ((JsonObject)pod["metadata"]!).Select(p => p.Key));
        Assert.True(JsonNode.DeepEquals(obj.Json.SelectPath("spec.previous.spec"), pod["spec"]), pod["spec"]!.ToString());
    }

    [Fact]
    public void Desired_Pods_AreCopies_ChangingOneDoesNotChangeTheDeployment()
    {
        var obj = Load(Deployment(1, 0));
        var pod = Desired(obj)[0].Pod;

        pod.SelectPath("spec.containers[0]")!["image"] = "changed:1";

        Assert.Equal("busybox:1.35", (string?)obj.Json.SelectPath("spec.previous.spec.containers[0].image"));
    }

    [Fact]
    public void Describe_NamesTheTrack_WithItsVersionLabel()
    {
        var json = Load(Deployment(5, 40)).Json;

        Assert.Equal("previous (1.16)", PinnedPods.Describe(json, PinnedPods.Previous));
        Assert.Equal("next (1.17)", PinnedPods.Describe(json, PinnedPods.Next));
    }

    [Fact]
    public void Describe_WithoutAVersionLabel_IsTheTrackAlone()
    {
        var json = Load(Deployment(5, 40, previousLabels: "{channel: stable}", nextLabels: "{}")).Json;

        Assert.Equal("previous", PinnedPods.Describe(json, PinnedPods.Previous));
        Assert.Equal("next", PinnedPods.Describe(json, PinnedPods.Next));
    }

    [Fact]
    public void TrackOf_AgreesWithNextCount()
    {
        var spec = ((PinnedDeployment)Load(Deployment(3, 50)).Object).Spec;

        Assert.Equal([PinnedPods.Next, PinnedPods.Next, PinnedPods.Previous], Enumerable.Range(0, 3).Select(i => PinnedPods.TrackOf(spec, i)));
    }
}
