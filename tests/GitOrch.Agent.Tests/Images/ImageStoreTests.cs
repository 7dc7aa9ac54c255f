using GitOrch.Agent.Images;
using GitOrch.Agent.Tests.Support;

namespace GitOrch.Agent.Tests.Images;

/// <summary>The node's image store: real folders, real tarballs (tar), real OCI layouts (umoci).</summary>
public sealed class ImageStoreTests : IDisposable
{
    private readonly TempDir _dir = new("gitorch-images");
    private readonly ImageStore _store;

    public ImageStoreTests()
    {
        _store = new ImageStore(_dir.Combine("state", "images"));
    }

    public void Dispose() => _dir.Dispose();

    /// <summary>A small root filesystem: bin/busybox, a symlink bin/sh → /bin/busybox, and etc/release holding <paramref name="release"/>.</summary>
    private string Rootfs(string name, string release = "one")
    {
        var rootfs = _dir.Combine(name);
        Directory.CreateDirectory(Path.Combine(rootfs, "bin"));
        Directory.CreateDirectory(Path.Combine(rootfs, "etc"));
        File.Copy("/usr/bin/busybox", Path.Combine(rootfs, "bin", "busybox"));
        File.CreateSymbolicLink(Path.Combine(rootfs, "bin", "sh"), "/bin/busybox");
        File.WriteAllText(Path.Combine(rootfs, "etc", "release"), release);
        return rootfs;
    }

    private static void AssertIsTheRootfs(string? rootfs, string release = "one")
    {
        Assert.NotNull(rootfs);
        Assert.True(File.Exists(Path.Combine(rootfs, "bin", "busybox")), $"{rootfs}/bin/busybox is missing");
        Assert.Equal("/bin/busybox", new FileInfo(Path.Combine(rootfs, "bin", "sh")).LinkTarget);
        Assert.Equal(release, File.ReadAllText(Path.Combine(rootfs, "etc", "release")));
    }

    [Fact]
    public void AStoreNobodyWroteTo_ListsNoImages_AndHasNoRootfs()
    {
        Assert.Empty(_store.List());
        Assert.Null(_store.Rootfs("busybox:1.35"));
    }

    [Fact]
    public async Task ImportsARootfsFolder()
    {
        var source = Rootfs("folder");

        var info = await _store.ImportAsync("busybox:1.35", source, CancellationToken.None);

        Assert.Equal(("busybox:1.35", "rootfs folder", source), (info.Image, info.Kind, info.Source));
        Assert.Equal(["busybox:1.35"], _store.List());
        Assert.Equal(Path.Combine(_store.Root, "busybox", "1.35", "rootfs"), _store.Rootfs("busybox:1.35"));
        AssertIsTheRootfs(_store.Rootfs("busybox:1.35"));
        Assert.Null(_store.Rootfs("busybox:1.36"));
    }

    [Fact]
    public async Task ImportsATarball_UnderANameWithASlash()
    {
        var tarball = _dir.Combine("image.tar");
        Shell.Run("tar", "-cf", tarball, "-C", Rootfs("tarred"), ".");

        var info = await _store.ImportAsync("tools/busybox:v1", tarball, CancellationToken.None);

        Assert.Equal(("tools/busybox:v1", "tarball"), (info.Image, info.Kind));
        Assert.Equal(["tools/busybox:v1"], _store.List());
        AssertIsTheRootfs(_store.Rootfs("tools/busybox:v1"));
    }

    /// <summary>An OCI layout (umoci init/new/unpack/repack) holding <paramref name="tag"/>.</summary>
    private string Layout(string tag)
    {
        var layout = _dir.Combine("layout");
        var bundle = _dir.Combine("bundle");
        Shell.Run("umoci", "init", "--layout", layout);
        Shell.Run("umoci", "new", "--image", $"{layout}:{tag}");
        Shell.Run("umoci", "unpack", "--image", $"{layout}:{tag}", bundle);
        Shell.Run("cp", "-a", Path.Combine(Rootfs("layered"), "."), Path.Combine(bundle, "rootfs"));
        Shell.Run("umoci", "repack", "--image", $"{layout}:{tag}", bundle);
        return layout;
    }

    [ToolFact("umoci")]
    public async Task ImportsAnOciImageLayout_TheTagOfTheReference()
    {
        var layout = Layout("1.0");

        var info = await _store.ImportAsync("tiny:1.0", layout, CancellationToken.None);

        Assert.Equal(("tiny:1.0", "OCI image layout", layout), (info.Image, info.Kind, info.Source));
        Assert.Equal(["tiny:1.0"], _store.List());
        AssertIsTheRootfs(_store.Rootfs("tiny:1.0"));
    }

    [ToolFact("umoci")]
    public async Task AnOciImageLayoutWithoutTheTag_IsRefused_SayingSo_AndLeavesTheStoreAsItWas()
    {
        var layout = Layout("1.0");

        var error = await Assert.ThrowsAsync<ImageException>(() => _store.ImportAsync("tiny:2.0", layout, CancellationToken.None));

        Assert.Contains("tag is not found: 2.0", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("apt-get install umoci", error.Message, StringComparison.Ordinal); // umoci is installed; the layout lacks the tag.
        Assert.Empty(_store.List());
        Assert.False(Directory.Exists(Path.Combine(_store.Root, "tiny", "2.0.importing")), "the staging folder was left behind");
    }

    [Fact]
    public async Task ImportingTheSameReferenceAgain_ReplacesTheImage()
    {
        await _store.ImportAsync("busybox:1.35", Rootfs("first", release: "one"), CancellationToken.None);
        var second = Rootfs("second", release: "two");
        File.Delete(Path.Combine(second, "bin", "sh"));

        await _store.ImportAsync("busybox:1.35", second, CancellationToken.None);

        var rootfs = _store.Rootfs("busybox:1.35")!;
        Assert.Equal("two", File.ReadAllText(Path.Combine(rootfs, "etc", "release")));
        Assert.False(File.Exists(Path.Combine(rootfs, "bin", "sh")), "a file of the old image survived the re-import");
        Assert.Equal(["busybox:1.35"], _store.List());
    }

    [Fact]
    public async Task Lists_EveryImage_Sorted()
    {
        await _store.ImportAsync("zeta:1", Rootfs("z"), CancellationToken.None);
        await _store.ImportAsync("alpha:2", Rootfs("a2"), CancellationToken.None);
        await _store.ImportAsync("alpha:1", Rootfs("a1"), CancellationToken.None);

        Assert.Equal(["alpha:1", "alpha:2", "zeta:1"], _store.List());
    }

    [Fact]
    public async Task AMissingPath_IsRefused_SayingWhatToGive()
    {
        var missing = _dir.Combine("nothere");

        var error = await Assert.ThrowsAsync<ImageException>(() => _store.ImportAsync("busybox:1.35", missing, CancellationToken.None));

        Assert.Equal($"{missing}: no such folder or file; give a rootfs folder, a tarball or an OCI image layout", error.Message);
        Assert.Empty(_store.List());
        Assert.False(Directory.Exists(Path.Combine(_store.Root, "busybox", "1.35.importing")), "the staging folder was left behind");
    }

    [Fact]
    public async Task AnEmptyFolder_IsRefused_SayingAnImageNeedsARootFilesystem()
    {
        var empty = _dir.Combine("empty");
        Directory.CreateDirectory(empty);

        var error = await Assert.ThrowsAsync<ImageException>(() => _store.ImportAsync("busybox:1.35", empty, CancellationToken.None));

        Assert.Equal($"{empty} holds no files; an image needs a root filesystem (for example bin/busybox)", error.Message);
        Assert.Empty(_store.List());
        Assert.False(Directory.Exists(Path.Combine(_store.Root, "busybox", "1.35.importing")), "the staging folder was left behind");
    }

    [Theory]
    [InlineData("busybox")]
    [InlineData("busybox:")]
    [InlineData("Busybox:1.35")]
    [InlineData(":1.35")]
    [InlineData("busybox:1.35:extra")]
    [InlineData("busy box:1.35")]
    public async Task ABadReference_IsRefused_WithAnExample(string reference)
    {
        var error = await Assert.ThrowsAsync<ImageException>(() => _store.ImportAsync(reference, Rootfs("any"), CancellationToken.None));

        Assert.Equal($"\"{reference}\" is not an image reference name:tag (for example busybox:1.35)", error.Message);
        Assert.False(Directory.Exists(_store.Root) && Directory.EnumerateFileSystemEntries(_store.Root).Any(), "a refused import wrote into the store");
    }

    [Fact]
    public async Task AFileThatIsNotATarball_IsRefused_AndLeavesTheStoreAsItWas()
    {
        var notTar = _dir.Combine("notes.txt");
        await File.WriteAllTextAsync(notTar, "this is not a tar archive\n");

        var error = await Assert.ThrowsAsync<ImageException>(() => _store.ImportAsync("busybox:1.35", notTar, CancellationToken.None));

        Assert.StartsWith("tar could not read the file (is it a tar archive?): ", error.Message, StringComparison.Ordinal);
        Assert.Null(_store.Rootfs("busybox:1.35"));
        Assert.Empty(_store.List()); // A failed import must not show up as an image (not even "busybox:1.35.importing").
        Assert.False(Directory.Exists(Path.Combine(_store.Root, "busybox", "1.35.importing")), "the staging folder was left behind");
    }

    [Fact]
    public async Task Collect_RemovesImagesThatAreNotKept()
    {
        await _store.ImportAsync("busybox:1.35", Rootfs("a"), CancellationToken.None);
        await _store.ImportAsync("busybox:1.36", Rootfs("b"), CancellationToken.None);

        var removed = _store.Collect(new HashSet<string> { "busybox:1.36" });

        Assert.Equal(["busybox:1.35"], removed);
        Assert.Equal(["busybox:1.36"], _store.List());
    }
}
