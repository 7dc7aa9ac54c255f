using System.Runtime.CompilerServices;
using GitOrch.Core.Loading;

namespace GitOrch.Core.Tests.Loading;

/// <summary>
/// A loaded object can let its positioned tree go (the controller's cache of a commit's files does):
/// the tree is collected, and every position asked for afterwards is the one the tree gave.
/// </summary>
public class ReleasedDocumentTests
{
    private const string Text = """
        # Two pods in one file; the second starts at a later line and is written in flow style.
        apiVersion: gitorch.dev/v1
        kind: Pod
        metadata:
          name: first
          namespace: demo
        spec:
          containers:
            - name: main
              image: busybox:1.35
              env: {A: "1"}
        ---
        apiVersion: gitorch.dev/v1
        kind: Pod
        metadata: {name: second, namespace: demo}
        spec:
          containers: [{name: main, image: "busybox:1.35", command: ["/bin/sh", "-c", "sleep 1"]}]
        """;

    private static readonly object[][] Fields =
    [
        [],
        ["metadata", "name"],
        ["spec", "containers", 0, "image"],
        ["spec", "containers", 0, "env", "A"],
        ["spec", "containers", 0, "command", 2],
        ["spec", "nowhere", "at", "all"],
    ];

    private static List<string> Positions(LoadedObject obj) =>
        [.. Fields.SelectMany(f => new[] { obj.At(f).ToString(), obj.ValueAt(f).ToString() }), obj.Location.ToString(), obj.File, obj.JsonBytes.ToString(System.Globalization.CultureInfo.InvariantCulture)];

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static (FileLoadResult Result, List<List<string>> Before) LoadAndRelease()
    {
        var result = ManifestLoader.LoadFile(new ManifestFile("apps/pods.yaml", Text), keepText: true);
        Assert.Empty(result.Diagnostics);
        var before = result.Objects.Select(Positions).ToList();
        result.ReleaseDocuments();
        return (result, before);
    }

    [Fact]
    public void AReleasedDocument_IsCollected_AndReadAgainGivesTheSamePositions()
    {
        var (result, before) = LoadAndRelease();

        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();

        Assert.All(result.Objects, o => Assert.False(o.HoldsDocument, $"{o.Ref.Display}'s tree is still held"));
        Assert.Equal(before, result.Objects.Select(Positions).ToList());
        Assert.Equal(["first", "second"], result.Objects.Select(o => o.Ref.Name));
        Assert.Equal([0, 1], result.Objects.Select(o => o.Document.Index));
    }

    [Fact]
    public void AnObjectLoadedWithoutItsText_KeepsItsDocument()
    {
        // A load without the file's text (admission's single written object): releasing does nothing.
        var kept = ManifestLoader.LoadFile(new ManifestFile("apps/pods.yaml", Text)).Objects[0];
        var document = kept.Document;

        kept.ReleaseDocument();
        GC.Collect();

        Assert.True(kept.HoldsDocument);
        Assert.Same(document, kept.Document);
        Assert.Equal(0, kept.Rereads);
    }
}
