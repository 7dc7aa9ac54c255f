using GitOrch.Core.Objects;
using Newtonsoft.Json.Linq;

namespace GitOrch.Core.Tests.Objects;

public class FieldDiffTests
{
    private const string Pod = """
        {"apiVersion": "gitorch.dev/v1", "kind": "Pod",
         "metadata": {"name": "web-0", "namespace": "demo"},
         "spec": {"containers": [{"name": "web", "image": "nginx:1.25", "env": [{"name": "A", "value": "1"}]}], "restartPolicy": "Always"}}
        """;

    private static IReadOnlyList<string> Changed(string before, Action<JObject> edit)
    {
        var a = JObject.Parse(before);
        var b = (JObject)a.DeepClone();
        edit(b);
        return FieldDiff.Changed(a, b);
    }

    [Fact]
    public void IdenticalObjects_HaveNoChangedFields() =>
        Assert.Empty(FieldDiff.Changed(JObject.Parse(Pod), JObject.Parse(Pod)));

    [Fact]
    public void NestedValueChange_IsItsFullPath() =>
        Assert.Equal(["spec.containers[0].image"], Changed(Pod, o => o["spec"]!["containers"]![0]!["image"] = "nginx:1.26"));

    [Fact]
    public void ValueDeepInAListOfLists_IsItsFullPath() =>
        Assert.Equal(["spec.containers[0].env[0].value"], Changed(Pod, o => o["spec"]!["containers"]![0]!["env"]![0]!["value"] = "2"));

    [Fact]
    public void AddedKey_IsOnePath_EvenForAWholeSubtree() =>
        Assert.Equal(["metadata.labels"], Changed(Pod, o => o["metadata"]!["labels"] = new JObject { ["app"] = "web", ["tier"] = "front" }));

    [Fact]
    public void RemovedKey_IsOnePath() =>
        Assert.Equal(["spec.restartPolicy"], Changed(Pod, o => o["spec"]!["restartPolicy"]!.Parent!.Remove()));

    [Fact]
    public void AddedListItem_IsItsIndex() =>
        Assert.Equal(["spec.containers[1]"], Changed(Pod, o => ((JArray)o["spec"]!["containers"]!).Add(new JObject { ["name"] = "sidecar", ["image"] = "envoy" })));

    [Fact]
    public void RemovedListItem_IsItsIndex() =>
        Assert.Equal(["spec.containers[0].env[0]"], Changed(Pod, o => ((JArray)o["spec"]!["containers"]![0]!["env"]!).RemoveAt(0)));

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
            o["status"] = new JObject { ["phase"] = "Running" };
            o["spec"]!["containers"]![0]!["image"] = "x";
            o["metadata"]!["name"] = "web-1";
        }));

    [Fact]
    public void TypeChange_IsThePathOfTheValue() =>
        Assert.Equal(["spec.containers"], Changed(Pod, o => o["spec"]!["containers"] = "none"));

    [Fact]
    public void NullValue_DiffersFromAMissingKey()
    {
        Assert.Equal(["spec.nodeSelector"], Changed(Pod, o => o["spec"]!["nodeSelector"] = JValue.CreateNull()));
        Assert.Equal(["a"], FieldDiff.Changed(JObject.Parse("""{"a": null}"""), new JObject()));
    }

    [Fact]
    public void NumberAndStringWithTheSameText_Differ() =>
        Assert.Equal(["spec.replicas"], FieldDiff.Changed(JObject.Parse("""{"spec": {"replicas": 3}}"""), JObject.Parse("""{"spec": {"replicas": "3"}}""")));

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
