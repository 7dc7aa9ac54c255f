using System.Text.Json.Nodes;
using GitOrch.Core.Diagnostics;
using GitOrch.Core.Loading;
using GitOrch.Core.Manifests;
using GitOrch.Core.Tests.Support;

namespace GitOrch.Core.Tests.Loading;

/// <summary>
/// A loaded object's JSON is written in one pass from the YAML tree. It must be, byte for byte, the
/// JSON the store has always written for the same YAML: the document as a <see cref="JsonNode"/>
/// tree (<see cref="SourceJson.ToJson"/>), with the numbers and booleans of env and sysctls put back
/// as the text they were written with, written with <see cref="ManifestJson.Options"/>. Stored
/// versions compare with new ones, and a changed byte would show as a change.
/// </summary>
public class StoredJsonTests
{
    private static readonly HashSet<string> StringMaps = new(StringComparer.Ordinal) { "env", "sysctls" };

    private const string Tricky = """
        apiVersion: gitorch.dev/v1
        kind: Pod
        metadata:
          name: "tricky-\u00e9\u4e2d"
          namespace: demo
          labels: {quoted: "1.10", plain: 1.10, yes: true, nothing: ~, html: "<b>&'\"</b>", tab: "a\tb"}
          annotations:
            anchored: &a {x: 1, y: [1, 2.5, -3e4, .inf, -.inf, .nan, 0x1F, 0o17, 12345678901234567890]}
            again: *a
        spec:
          terminationGracePeriodSeconds: 10
          containers:
            - name: main
              command: ["/bin/sh", "-c", "echo \"$HOME\" \\ done"]
              env: {V: 1.10, B: true, F: false, I: 007, N: ~, E: 1e3, BIG: 99999999999999999999, S: "x", NESTED: {env: {X: 2.0}}}
              resources: {cpu: 0.5, memory: 16Mi}
          sysctls: {net.core.somaxconn: 1024, kernel.x: 1.0}
          list:
            - env: {A: 1}
            - [env, 1, 1.0, true, null]
        status: {phase: Running, restarts: 0}
        """;

    public static TheoryData<string> Files()
    {
        var data = new TheoryData<string>();
        var root = TestManifests.ExampleRepo();
        foreach (var file in Directory.EnumerateFiles(root, "*.yaml", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            data.Add(Path.GetRelativePath(root, file));
        }

        return data;
    }

    [Fact]
    public void TrickyScalars_AreWrittenAsTheJsonTreeWritesThem()
    {
        var documents = YamlReader.Read("tricky.yaml", Tricky, new List<Diagnostic>());
        var root = Assert.Single(documents).Root;

        var written = System.Text.Encoding.UTF8.GetString(SourceJson.WriteStored(root, StringMaps));

        Assert.Equal(Expected(root), written);
        // The cases the test is for are in the output, so the comparison above is not vacuous.
        Assert.Contains("\"V\":\"1.10\"", written, StringComparison.Ordinal);
        Assert.Contains("\"plain\":1.1", written, StringComparison.Ordinal);
        Assert.Contains("\"X\":\"2.0\"", written, StringComparison.Ordinal);
        Assert.Contains("\"Infinity\"", written, StringComparison.Ordinal);
        Assert.Contains("\"NaN\"", written, StringComparison.Ordinal);
        Assert.Contains("\"net.core.somaxconn\":\"1024\"", written, StringComparison.Ordinal);
        Assert.Contains("[\"env\",1,1.0,true,null]", written, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void EveryExampleDocument_IsWrittenAsTheJsonTreeWritesIt(string file)
    {
        var root = TestManifests.ExampleRepo();
        var documents = YamlReader.Read(file, File.ReadAllText(Path.Combine(root, file)), new List<Diagnostic>());
        foreach (var document in documents)
        {
            Assert.Equal(Expected(document.Root), System.Text.Encoding.UTF8.GetString(SourceJson.WriteStored(document.Root, StringMaps)));
        }
    }

    [Fact]
    public void ALoadedObject_KeepsTheStoredJson_AndGivesAFreshTreeEachTime()
    {
        const string pod = """
            apiVersion: gitorch.dev/v1
            kind: Pod
            metadata: {name: web, namespace: demo}
            spec:
              containers:
                - name: main
                  image: busybox:1.35
                  env: {V: 1.10, B: true}
            """;
        var file = ManifestLoader.LoadFile(new ManifestFile("pod.yaml", pod));
        var obj = Assert.Single(file.Objects);

        Assert.Equal(Expected(YamlReader.Read("pod.yaml", pod, new List<Diagnostic>())[0].Root), obj.JsonText);
        Assert.Equal(["apiVersion", "kind", "metadata", "spec"], obj.Fields);
        Assert.True(obj.Has("spec"));
        Assert.False(obj.Has("status"));
        var tree = obj.Json;
        tree["spec"] = null;
        Assert.NotNull(obj.Json["spec"]);
        Assert.Equal("1.10", ((Pod)obj.Object).Spec.Containers[0].Env!["V"]);
        Assert.Equal("true", ((Pod)obj.Object).Spec.Containers[0].Env!["B"]);
    }

    /// <summary>The JSON the store wrote before the one-pass writer: the tree, its string maps' text restored, written.</summary>
    private static string Expected(SourceNode root)
    {
        var json = SourceJson.ToJson(root);
        Restore(json, root);
        return json.Write();
    }

    private static void Restore(JsonNode? json, SourceNode source)
    {
        switch (json, source)
        {
            case (JsonObject obj, MappingNode mapping):
                foreach (var (key, value) in mapping.Entries)
                {
                    if (!obj.TryGetPropertyValue(key.Value, out var child))
                    {
                        continue;
                    }

                    if (StringMaps.Contains(key.Value) && child is JsonObject map && value is MappingNode entries)
                    {
                        foreach (var (entryKey, entryValue) in entries.Entries)
                        {
                            if (entryValue is ScalarNode { Kind: ScalarKind.Integer or ScalarKind.Float or ScalarKind.Boolean } scalar
                                && map.TryGetPropertyValue(entryKey.Value, out var typed) && typed is JsonValue)
                            {
                                map[entryKey.Value] = scalar.Value;
                            }
                        }
                    }

                    Restore(child, value);
                }

                break;
            case (JsonArray array, SequenceNode sequence):
                for (var i = 0; i < array.Count && i < sequence.Items.Count; i++)
                {
                    Restore(array[i], sequence.Items[i]);
                }

                break;
        }
    }
}
