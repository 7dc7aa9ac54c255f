using System.Text.Json.Nodes;
using GitOrch.Core.Manifests;
using GitOrch.Core.Objects;

namespace GitOrch.Core.Tests.Objects;

public class FieldDiffTests
{
    private const string Pod = """
        {"apiVersion": "gitorch.dev/v1", "kind": "Pod",
         "metadata": {"name": "web-0", "namespace": "demo"},
         "spec": {"containers": [{"name": "web", "image": "nginx:1.25", "env": [{"name": "A", "value": "1"}]}], "restartPolicy": "Always"}}
        """;

    private static IReadOnlyList<string> Changed(string before, Action<JsonObject> edit)
    {
        var a = ManifestJson.Parse(before);
        var b = (JsonObject)a.DeepClone();
        edit(b);
        return FieldDiff.Changed(a, b);
    }

    [Fact]
    public void IdenticalObjects_HaveNoChangedFields() =>
        Assert.Empty(FieldDiff.Changed(ManifestJson.Parse(Pod), ManifestJson.Parse(Pod)));

    [Fact]
    public void NestedValueChange_IsItsFullPath() =>
        Assert.Equal(["spec.containers[0].image"], Changed(Pod, o => o["spec"]!["containers"]![0]!["image"] = "nginx:1.26"));

    [Fact]
    public void ValueDeepInAListOfLists_IsItsFullPath() =>
        Assert.Equal(["spec.containers[0].env[0].value"], Changed(Pod, o => o["spec"]!["containers"]![0]!["env"]![0]!["value"] = "2"));

    [Fact]
    public void AddedKey_IsOnePath_EvenForAWholeSubtree() =>
        Assert.Equal(["metadata.labels"], Changed(Pod, o => o["metadata"]!["labels"] = new JsonObject { ["app"] = "web", ["tier"] = "front" }));

    [Fact]
    public void RemovedKey_IsOnePath() =>
        Assert.Equal(["spec.restartPolicy"], Changed(Pod, o => ((JsonObject)o["spec"]!).Remove("restartPolicy")));

    [Fact]
    public void AddedListItem_IsItsIndex() =>
        Assert.Equal(["spec.containers[1]"], Changed(Pod, o => ((JsonArray)o["spec"]!["containers"]!).Add(new JsonObject { ["name"] = "sidecar", ["image"] = "envoy" })));

    [Fact]
    public void RemovedListItem_IsItsIndex() =>
        Assert.Equal(["spec.containers[0].env[0]"], Changed(Pod, o => ((JsonArray)o["spec"]!["containers"]![0]!["env"]!).RemoveAt(0)));

    [Fact]
    public void ChangedListItem_IsThePathInsideTheItem() =>
        Assert.Equal(["spec.containers[0].name", "spec.containers[0].image"], Changed(Pod, o =>
        {
            o["spec"]!["containers"]![0]!["name"] = "api";
            o["spec"]!["containers"]![0]!["image"] = "api:2";
        }));

    [Fact]
    public void SeveralChanges_AreListedInDocumentOrder_AddedKeysLast() =>
        Assert.Equal(["metadata.name", "spec.containers[0].image", "status"], Changed(Pod, o =>
        {
            o["status"] = new JsonObject { ["phase"] = "Running" };
            o["spec"]!["containers"]![0]!["image"] = "x";
            o["metadata"]!["name"] = "web-1";
        }));

    [Fact]
    public void TypeChange_IsThePathOfTheValue() =>
        Assert.Equal(["spec.containers"], Changed(Pod, o => o["spec"]!["containers"] = "none"));

    [Fact]
    public void NullValue_DiffersFromAMissingKey()
    {
        Assert.Equal(["spec.nodeSelector"], Changed(Pod, o => o["spec"]!["nodeSelector"] = (JsonNode?)null));
        Assert.Equal(["a"], FieldDiff.Changed(ManifestJson.Parse("""{"a": null}"""), new JsonObject()));
    }

    [Fact]
    public void NumberAndStringWithTheSameText_Differ() =>
        Assert.Equal(["spec.replicas"], FieldDiff.Changed(ManifestJson.Parse("""{"spec": {"replicas": 3}}"""), ManifestJson.Parse("""{"spec": {"replicas": "3"}}""")));

    [Theory]
    [InlineData("spec", "spec.containers[0].image", true)]
    [InlineData("spec.containers[0].image", "spec", true)]
    [InlineData("spec.containers", "spec.containers[0]", true)]
    [InlineData("spec.containers[0].image", "spec.containers[0].image", true)]
    [InlineData("spec.containers[0].image", "spec.containers[0].imagePullPolicy", false)]
    [InlineData("spec.containers[1]", "spec.containers[10]", false)]
    [InlineData("status", "statuses", false)]
    [InlineData("spec.a", "spec.b", false)]
    public void Touches_WhenOnePathIsAPrefixOfTheOther(string changed, string field, bool expected) =>
        Assert.Equal(expected, FieldDiff.Touches(changed, field));
}
