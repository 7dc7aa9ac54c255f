using System.Text.Json.Nodes;
using GitOrch.Core.Manifests;
using GitOrch.Core.Schema;
using GitOrch.Core.Tests.Support;

namespace GitOrch.Core.Tests.Schema;

/// <summary>The schemas in schema/ are the ones shipped, strict, and consistent with each other.</summary>
public class SchemaFilesTests
{
    private static JsonObject FromDisk(string kind) =>
        ManifestJson.Parse(File.ReadAllText(Path.Combine(TestManifests.Root(), "schema", $"{kind.ToLowerInvariant()}.schema.json")));

    [Fact]
    public void EveryKind_HasAnEmbeddedSchema_EqualToTheFileInSchemaFolder()
    {
        foreach (var kind in Kinds.All)
        {
            Assert.True(JsonNode.DeepEquals(FromDisk(kind), ManifestJson.Parse(SchemaRegistry.Text(kind))), kind);
        }
    }

    [Fact]
    public void SharedDefinitions_LiveOnce_InThePodSchema_AndEveryReferenceResolves()
    {
        var pod = (JsonObject)FromDisk(Kinds.Pod)["definitions"]!;
        foreach (var kind in Kinds.All)
        {
            var schema = FromDisk(kind);
            foreach (var definition in (JsonObject?)schema["definitions"] ?? [])
            {
                Assert.False(kind != Kinds.Pod && pod[definition.Key] is { } shared && JsonNode.DeepEquals(shared, definition.Value),
                    $"{kind}: definitions.{definition.Key} copies the Pod schema's; reference pod.schema.json#/definitions/{definition.Key}");
            }

            foreach (var reference in schema.DescendantsAndSelf().OfType<JsonObject>().Where(o => o["$ref"] is JsonValue).Select(o => (string)o["$ref"]!))
            {
                var hash = reference.IndexOf('#', StringComparison.Ordinal);
                var file = hash == 0 ? schema : ManifestJson.Parse(File.ReadAllText(Path.Combine(TestManifests.Root(), "schema", reference[..hash])));
                Assert.True(file.SelectPath(reference[(hash + 2)..].Replace('/', '.')) is JsonObject, $"{kind}: $ref {reference} resolves to nothing");
            }
        }
    }

    [Fact]
    public void EveryObjectSchema_WithProperties_IsStrict()
    {
        foreach (var kind in Kinds.All)
        {
            foreach (var node in FromDisk(kind).DescendantsAndSelf().OfType<JsonObject>())
            {
                if (node["properties"] is JsonObject && (string?)(node["type"] as JsonValue) == "object")
                {
                    Assert.True(node["additionalProperties"] is JsonValue strict && strict.GetValueKind() == System.Text.Json.JsonValueKind.False, $"{kind}: {node.GetPath()} is not strict");
                }
            }
        }
    }
}
