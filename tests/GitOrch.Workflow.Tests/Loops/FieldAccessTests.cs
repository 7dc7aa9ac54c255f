using System.Text.Json.Nodes;
using GitOrch.Core.Manifests;
using GitOrch.Core.Ownership;
using GitOrch.Core.Schema;
using GitOrch.Workflow.Loops;

namespace GitOrch.Workflow.Tests.Loops;

/// <summary>What a loop may see (metadata plus its reads) and how its answer's paths are parsed and set.</summary>
public sealed class FieldAccessTests
{
    private const string PodJson = """
        {
          "apiVersion": "gitorch.dev/v1",
          "kind": "Pod",
          "metadata": {"name": "web", "namespace": "demo", "labels": {"app": "web"}},
          "spec": {
            "nodeSelector": {"zone": "home"},
            "containers": [
              {"name": "main", "image": "web:1", "command": ["/bin/web"], "env": {"TOKEN": "secret"}},
              {"name": "side", "image": "proxy:2", "ports": [{"name": "http", "port": 8080}]}
            ],
            "volumes": [{"name": "data", "hostPath": "/srv/data"}]
          },
          "status": {"nodeName": "node-a", "podIP": "fd00::1"}
        }
        """;

    private static void AssertJson(string expected, JsonNode actual)
    {
        var want = JsonNode.Parse(expected);
        Assert.True(JsonNode.DeepEquals(want, actual), $"expected {want.Write()}\n  actual {actual.Write()}");
    }

    private static IEnumerable<FieldPath> Paths(params string[] paths) => paths.Select(FieldPath.Parse);

    [Fact]
    public void Project_KeepsMetadataAndOnlyTheReadPaths()
    {
        var projected = FieldAccess.Project(ManifestJson.Parse(PodJson), "Pod", Paths("Pod:spec.volumes", "Pod:status.nodeName"));

        AssertJson("""
            {"apiVersion": "gitorch.dev/v1", "kind": "Pod",
             "metadata": {"name": "web", "namespace": "demo", "labels": {"app": "web"}},
             "spec": {"volumes": [{"name": "data", "hostPath": "/srv/data"}]},
             "status": {"nodeName": "node-a"}}
            """, projected);
    }

    [Fact]
    public void Project_WithListItemPaths_KeepsOnlyTheReadFieldsOfEveryItem()
    {
        var projected = FieldAccess.Project(
            ManifestJson.Parse(PodJson), "Pod", Paths("Pod:spec.containers[*].image", "Pod:spec.containers[*].name", "Pod:spec.containers[*].ports"));

        AssertJson("""
            {"apiVersion": "gitorch.dev/v1", "kind": "Pod",
             "metadata": {"name": "web", "namespace": "demo", "labels": {"app": "web"}},
             "spec": {"containers": [
               {"name": "main", "image": "web:1"},
               {"name": "side", "image": "proxy:2", "ports": [{"name": "http", "port": 8080}]}]}}
            """, projected);
    }

    [Fact]
    public void Project_IgnoresPathsOfOtherKinds_AndNeverCopiesUnreadFields()
    {
        var projected = FieldAccess.Project(ManifestJson.Parse(PodJson), "Pod", Paths("PinnedDeployment:spec", "Pod:status.nodeName"));

        Assert.Null(projected["spec"]);
        Assert.Equal("node-a", (string?)projected.SelectPath("status.nodeName"));
        Assert.Null(projected.SelectPath("status.podIP"));
    }

    [Fact]
    public void Project_DoesNotAliasTheOriginal()
    {
        var original = ManifestJson.Parse(PodJson);
        var projected = FieldAccess.Project(original, "Pod", Paths("Pod:spec.volumes"));

        projected["metadata"]!["name"] = "changed";
        ((JsonArray)projected["spec"]!["volumes"]!).Clear();

        Assert.Equal("web", (string?)original["metadata"]!["name"]);
        Assert.Single((JsonArray)original["spec"]!["volumes"]!);
    }

    [Theory]
    [InlineData("status.volumes", new object[] { "status", "volumes" })]
    [InlineData("status.volumes[0].ready", new object[] { "status", "volumes", 0, "ready" })]
    [InlineData("status.matrix[1][2]", new object[] { "status", "matrix", 1, 2 })]
    [InlineData("status.my-field_2", new object[] { "status", "my-field_2" })]
    public void Parse_SplitsAPathIntoNamesAndIndexes(string path, object[] segments) =>
        Assert.Equal(segments, FieldAccess.Parse(path));

    [Theory]
    [InlineData("")]
    [InlineData("status..volumes")]
    [InlineData("status.[0]")]
    [InlineData("status.volumes[x]")]
    [InlineData("status.volumes[*]")]
    [InlineData("9status")]
    [InlineData("status volumes")]
    public void Parse_ReturnsNullForAMalformedPath(string path) => Assert.Null(FieldAccess.Parse(path));

    [Fact]
    public void Normalize_TurnsIndexesIntoAnyItem_ForOwnershipChecks()
    {
        var normalized = FieldAccess.Normalize(FieldAccess.Parse("status.volumes[3].ready")!);

        Assert.Equal(["status", "volumes", "[*]", "ready"], normalized);
        Assert.True(FieldPath.Parse("Pod:status.volumes").Covers("Pod", normalized));
        Assert.False(FieldPath.Parse("Pod:status.volumesExtra").Covers("Pod", normalized));
    }

    [Fact]
    public void Set_CreatesIntermediateMappings()
    {
        var obj = ManifestJson.Parse("""{"metadata": {"name": "web"}}""");

        var changed = FieldAccess.Set(obj, FieldAccess.Parse("status.volumes.data.ready")!, true);

        Assert.True(changed);
        AssertJson("""{"metadata": {"name": "web"}, "status": {"volumes": {"data": {"ready": true}}}}""", obj);
    }

    [Fact]
    public void Set_CreatesAListForAnIndexedPath_AndAppendsAtTheEnd()
    {
        var obj = new JsonObject();

        Assert.True(FieldAccess.Set(obj, FieldAccess.Parse("status.volumes[0].name")!, "data"));
        Assert.True(FieldAccess.Set(obj, FieldAccess.Parse("status.volumes[1]")!, new JsonObject { ["name"] = "logs" }));

        AssertJson("""{"status": {"volumes": [{"name": "data"}, {"name": "logs"}]}}""", obj);
    }

    [Fact]
    public void Set_ReportsNoChange_ForAnEqualValue_AndAChangeForADifferentOne()
    {
        var obj = ManifestJson.Parse("""{"status": {"volumes": [{"name": "data", "ready": true}]}}""");
        var path = FieldAccess.Parse("status.volumes")!;

        Assert.False(FieldAccess.Set(obj, path, JsonNode.Parse("""[{"name": "data", "ready": true}]""")));
        Assert.False(FieldAccess.Set(obj, FieldAccess.Parse("status.volumes[0].ready")!, true));
        Assert.True(FieldAccess.Set(obj, path, JsonNode.Parse("""[{"name": "data", "ready": false}]""")));
        AssertJson("""{"status": {"volumes": [{"name": "data", "ready": false}]}}""", obj);
    }

    [Fact]
    public void Set_Null_OnAMissingField_IsAChange_AndOnAFieldAlreadyNull_IsNone()
    {
        var obj = ManifestJson.Parse("""{"status": {"phase": null}}""");

        Assert.True(FieldAccess.Set(obj, FieldAccess.Parse("status.nodeName")!, null));
        Assert.False(FieldAccess.Set(obj, FieldAccess.Parse("status.phase")!, null));
        AssertJson("""{"status": {"phase": null, "nodeName": null}}""", obj);
    }

    [Fact]
    public void Project_CopiesAReadFieldSetToNull()
    {
        var obj = ManifestJson.Parse("""{"kind": "Pod", "metadata": {"name": "web"}, "status": {"volumes": null}, "spec": {"x": 1}}""");

        var seen = FieldAccess.Project(obj, "Pod", Paths("Pod:status.volumes"));

        Assert.True(((JsonObject)seen["status"]!).ContainsKey("volumes"));
        Assert.False(seen.ContainsKey("spec"));
    }

    [Fact]
    public void Set_StoresACopy_NotTheCallersToken()
    {
        var obj = new JsonObject();
        var value = ManifestJson.Parse("""{"name": "data"}""");

        FieldAccess.Set(obj, FieldAccess.Parse("status.volume")!, value);
        value["name"] = "changed";

        Assert.Equal("data", (string?)obj.SelectPath("status.volume.name"));
    }

    [Fact]
    public void Set_ThroughAScalar_FailsNamingThePath()
    {
        var obj = ManifestJson.Parse("""{"status": {"volumes": "none"}}""");

        var error = Assert.Throws<ArgumentException>(() => FieldAccess.Set(obj, FieldAccess.Parse("status.volumes.data")!, true));

        Assert.Equal("cannot set status.volumes.data: its parent is not a mapping or list", error.Message);
    }
}
