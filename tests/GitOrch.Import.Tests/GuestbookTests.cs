using System.Text.Json.Nodes;
using GitOrch.Import.Tests.Support;

namespace GitOrch.Import.Tests;

/// <summary>The guestbook example of kubernetes/examples (Fixtures/guestbook): three Deployments and three Services.</summary>
public sealed class GuestbookTests
{
    [Fact]
    public void TheDeployments_BecomePinnedDeployments_WithTheirReplicas_AndTheTemplateAsBothVersions_AtPercentNextZero()
    {
        var result = Imports.OfFixture("guestbook");

        Assert.False(result.Refused, Imports.Dump(result));
        Assert.Equal(
            [("PinnedDeployment", "redis-master", 1), ("PinnedDeployment", "redis-replica", 2), ("PinnedDeployment", "frontend", 3)],
            result.Objects.Select(o => (o.Kind, o.Name, (int)Imports.Json(o)["spec"]!["replicas"]!)));
        foreach (var obj in result.Objects)
        {
            var spec = Imports.Json(obj)["spec"]!;
            Assert.Equal(0, (int)spec["percentNext"]!);
            Assert.True(JsonNode.DeepEquals(spec["previous"], spec["next"]), $"{obj.Name}: previous and next differ");
        }

        var frontend = Imports.Json(result.Objects[2])["spec"]!["next"]!;
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"app": "guestbook", "tier": "frontend"}"""), frontend["labels"]), frontend["labels"]?.ToJsonString());
        var container = frontend["spec"]!["containers"]![0]!;
        Assert.Equal(("php-redis", "gcr.io/google-samples/gb-frontend:v4", "dns", "100m", "100Mi"), (
            (string?)container["name"], (string?)container["image"], (string?)container["env"]!["GET_HOSTS_FROM"],
            (string?)container["resources"]!["cpu"], (string?)container["resources"]!["memory"]));
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""[{"name": "port-80", "port": 80}]"""), container["ports"]), container["ports"]?.ToJsonString());
    }

    [Fact]
    public void TheServices_AreSkipped_WithTheReason()
    {
        var result = Imports.OfFixture("guestbook");

        var skipped = result.Of(NoteKind.Skipped).ToList();
        Assert.Equal(["Service redis-master", "Service redis-replica", "Service frontend"], skipped.Select(n => n.Object));
        Assert.All(skipped, n => Assert.Contains("GitOrch has no Services", n.Message, StringComparison.Ordinal));
        Assert.Equal((1, 1), (skipped[0].Line, skipped[0].Column));
    }

    [Fact]
    public void TheResult_ValidatesWithNoDiagnostic_AndEachFileNamesItsSource()
    {
        var result = Imports.OfFixture("guestbook");

        Assert.Empty(Imports.Validate(result).Diagnostics);
        var header = result.Objects[2].Yaml.Split('\n')[0];
        Assert.Matches(@"^# Imported by `gitorch import k8s` from .*guestbook-all-in-one\.yaml \(Deployment frontend, document 6\)\.$", header);
        Assert.Equal(Path.Combine("default", "pinneddeployment-frontend.yaml"), result.Objects[2].RelativePath);
    }
}
