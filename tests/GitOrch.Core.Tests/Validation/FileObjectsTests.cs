using GitOrch.Core.Diagnostics;
using GitOrch.Core.Loading;
using GitOrch.Core.Validation;

namespace GitOrch.Core.Tests.Validation;

public class FileObjectsTests
{
    private static FileLoadResult File(params string[] names) => ManifestLoader.LoadFileReleased(new ManifestFile(
        "f.yaml",
        string.Join("---\n", names.Select(n => $"apiVersion: gitorch.dev/v1\nkind: Pod\nmetadata: {{name: {n}, namespace: demo}}\nspec:\n  containers: [{{name: main, image: busybox:1.35}}]\n"))));

    /// <summary>The view over files' objects reads, by index and in order, what one list of them all would: empty files anywhere included.</summary>
    [Fact]
    public void ReadsEveryObjectInFileOrder_ByIndexAndByEnumeration()
    {
        var files = new[] { File(), File("a", "b"), File(), File(), File("c"), File(), File("d", "e", "f"), File() };
        var expected = files.SelectMany(f => f.Objects).Select(o => o.Ref.Name).ToList();
        var view = new FileObjects(files);

        Assert.Equal(["a", "b", "c", "d", "e", "f"], expected);
        Assert.Equal(expected.Count, view.Count);
        Assert.Equal(expected, view.Select(o => o.Ref.Name));
        Assert.Equal(expected, Enumerable.Range(0, view.Count).Select(i => view[i].Ref.Name));
        Assert.Throws<ArgumentOutOfRangeException>(() => view[view.Count]);
        Assert.Throws<ArgumentOutOfRangeException>(() => view[-1]);
        Assert.Empty(new FileObjects([File(), File()]));
    }
}
