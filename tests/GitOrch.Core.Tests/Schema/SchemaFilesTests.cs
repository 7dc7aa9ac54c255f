using GitOrch.Core.Manifests;
using GitOrch.Core.Schema;
using GitOrch.Core.Tests.Support;
using Newtonsoft.Json.Linq;

namespace GitOrch.Core.Tests.Schema;

/// <summary>The schemas in schema/ are the ones shipped, strict, and consistent with each other.</summary>
public class SchemaFilesTests
{
    private static JObject FromDisk(string kind) =>
        JObject.Parse(File.ReadAllText(Path.Combine(TestManifests.Root(), "schema", $"{kind.ToLowerInvariant()}.schema.json")));

    [Fact]
    public void EveryKind_HasAnEmbeddedSchema_EqualToTheFileInSchemaFolder()
    {
        foreach (var kind in Kinds.All)
        {
            Assert.True(JToken.DeepEquals(FromDisk(kind), JObject.Parse(SchemaRegistry.Text(kind))), kind);
        }
    }

    [Fact]
    public void SharedDefinitions_AreIdentical_AcrossKinds()
    {
        var pod = FromDisk(Kinds.Pod)["definitions"]!;
        foreach (var kind in Kinds.All)
        {
            foreach (var definition in ((JObject)FromDisk(kind)["definitions"]!).Properties())
            {
                if (kind is Kinds.Target && definition.Name == "metadata")
                {
                    continue; // Target names may contain dots: its metadata is overridden at the top.
                }

                if (pod[definition.Name] is { } shared)
                {
                    Assert.True(JToken.DeepEquals(shared, definition.Value), $"{kind}: definitions.{definition.Name} differs from the Pod schema's");
                }
            }
        }
    }

    [Fact]
    public void EveryObjectSchema_WithProperties_IsStrict()
    {
        foreach (var kind in Kinds.All)
        {
            foreach (var node in FromDisk(kind).DescendantsAndSelf().OfType<JObject>())
            {
                if (node["properties"] is JObject && node["type"] is JValue { Value: "object" })
                {
                    Assert.True(node["additionalProperties"] is JValue { Value: false }, $"{kind}: {node.Path} is not strict");
                }
            }
        }
    }
}
