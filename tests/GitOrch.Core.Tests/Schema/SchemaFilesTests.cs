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
    public void SharedDefinitions_LiveOnce_InThePodSchema_AndEveryReferenceResolves()
    {
        var pod = (JObject)FromDisk(Kinds.Pod)["definitions"]!;
        foreach (var kind in Kinds.All)
        {
            var schema = FromDisk(kind);
            foreach (var definition in ((JObject?)schema["definitions"])?.Properties() ?? [])
            {
                Assert.False(kind != Kinds.Pod && pod[definition.Name] is { } shared && JToken.DeepEquals(shared, definition.Value),
                    $"{kind}: definitions.{definition.Name} copies the Pod schema's; reference pod.schema.json#/definitions/{definition.Name}");
            }

            foreach (var reference in schema.Descendants().OfType<JProperty>().Where(p => p.Name == "$ref").Select(p => (string)p.Value!))
            {
                var hash = reference.IndexOf('#', StringComparison.Ordinal);
                var file = hash == 0 ? schema : JObject.Parse(File.ReadAllText(Path.Combine(TestManifests.Root(), "schema", reference[..hash])));
                Assert.True(file.SelectToken(reference[(hash + 2)..].Replace('/', '.')) is JObject, $"{kind}: $ref {reference} resolves to nothing");
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
