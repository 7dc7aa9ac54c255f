using GitOrch.Agent.Runtimes;
using GitOrch.Agent.Tests.Support;

namespace GitOrch.Agent.Tests.Runtimes;

/// <summary>Mount targets inside a real folder tree: created inside the root, or refused, never created outside it.</summary>
public sealed class ContainerPathsTests : IDisposable
{
    private readonly TempDir _dir = new("gitorch-rootfs");

    public void Dispose() => _dir.Dispose();

    private string Rootfs => Directory.CreateDirectory(_dir.Combine("rootfs")).FullName;

    [Fact]
    public void CreatesAMissingTarget_InsideTheRoot()
    {
        var path = ContainerPaths.EnsureMountPoint(Rootfs, "/srv/data/cache");

        Assert.Equal(_dir.Combine("rootfs", "srv", "data", "cache"), path);
        Assert.True(Directory.Exists(path));
    }

    [Theory]
    [InlineData("/../../escaped")]
    [InlineData("/data/../../../escaped")]
    [InlineData("relative/escaped")]
    public void RefusesDotDot_AndRelativeTargets_CreatingNothingOutside(string target)
    {
        var root = Rootfs;
        var error = Assert.Throws<RuntimeException>(() => ContainerPaths.EnsureMountPoint(root, target));

        Assert.Contains($"mount target {target} must be an absolute path without '..'", error.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists(_dir.Combine("escaped")));
        Assert.False(Directory.Exists(Path.Combine(Path.GetTempPath(), "escaped")));
        Assert.Empty(Directory.EnumerateFileSystemEntries(root));
    }

    [Theory]
    [InlineData("/data/planted")]
    [InlineData("/data")]
    public void RefusesASymlinkInTheImage_PointingOut_CreatingNothingWhereItPoints(string target)
    {
        var outside = Directory.CreateDirectory(_dir.Combine("host-etc")).FullName;
        var root = Rootfs;
        File.CreateSymbolicLink(Path.Combine(root, "data"), outside);

        var error = Assert.Throws<RuntimeException>(() => ContainerPaths.EnsureMountPoint(root, target));

        Assert.Equal($"mount target {target}: /data is a symbolic link in the image; links are not followed (they could point out of the container's root): mount somewhere else, or change the image", error.Message);
        Assert.Empty(Directory.EnumerateFileSystemEntries(outside));
    }

    [Fact]
    public void RefusesAFileInTheMiddleOfTheTarget()
    {
        var root = Rootfs;
        File.WriteAllText(Path.Combine(root, "etc"), "a file");

        var error = Assert.Throws<RuntimeException>(() => ContainerPaths.EnsureMountPoint(root, "/etc/app"));

        Assert.Contains("/etc is a file in the image", error.Message, StringComparison.Ordinal);
    }
}
