using GitOrch.Core.Diagnostics;

namespace GitOrch.History.Tests;

public class BlameTests
{
    private static readonly ObjectRef Web0 = new("Pod", "demo", "web-0");

    private static VersionRecord V(int version, string changer, params string[] fields) =>
        new(Web0, version, version, changer, changer.StartsWith("git/", StringComparison.Ordinal) ? ChangeKind.External : ChangeKind.Mechanical,
            null, DateTimeOffset.FromUnixTimeSeconds(1_700_000_000 + version), fields, Deleted: false, ObjectJson: null);

    private static readonly IReadOnlyList<VersionRecord> Versions =
    [
        V(1, "git/ada@example.com", "*"),
        V(2, "control-loop/scheduler", "status.nodeName"),
        V(3, "git/bob@example.com", "spec.containers[0].image"),
        V(4, "control-loop/kubelet", "status.phase", "status.containers[0].ready"),
        V(5, "git/carol@example.com", "spec.containers[1]"),
    ];

    [Theory]
    [InlineData("spec.containers[0].image", 3)]
    [InlineData("status.nodeName", 2)]
    [InlineData("status.phase", 4)]
    [InlineData("status.containers[0].ready", 4)]
    [InlineData("metadata.labels.app", 1)]
    [InlineData("spec.containers[1].image", 5)]
    public void LastSetter_IsTheNewestVersionThatTouchedTheField(string field, int expected) =>
        Assert.Equal(expected, Blame.LastSetter(Versions, field)!.Version);

    [Theory]
    [InlineData("spec", 5)] // A field under it changed.
    [InlineData("spec.containers", 5)]
    [InlineData("spec.containers[0]", 3)]
    [InlineData("status", 4)]
    public void LastSetter_OfAParent_IsTheNewestChangeBelowIt(string field, int expected) =>
        Assert.Equal(expected, Blame.LastSetter(Versions, field)!.Version);

    [Fact]
    public void LastSetter_OfAChild_IsAVersionThatReplacedAWholeParent()
    {
        var versions = new[] { V(1, "git/ada@example.com", "spec.containers[0].image"), V(2, "git/bob@example.com", "spec") };

        Assert.Equal(2, Blame.LastSetter(versions, "spec.containers[0].image")!.Version);
    }

    [Theory]
    [InlineData("spec.containers[0].imagePullPolicy", "spec.containers[0].image")]
    [InlineData("spec.containers[0].image", "spec.containers[0].imagePullPolicy")]
    [InlineData("spec.containers[10]", "spec.containers[1]")]
    [InlineData("spec.containers[1]", "spec.containers[10].image")]
    [InlineData("statuses", "status")]
    public void LastSetter_IgnoresFieldsThatOnlyShareLeadingCharacters(string changed, string queried)
    {
        var versions = new[] { V(1, "git/ada@example.com", "*"), V(2, "git/bob@example.com", changed) };

        Assert.Equal(1, Blame.LastSetter(versions, queried)!.Version);
    }

    [Fact]
    public void LastSetter_IsNull_WhenNoVersionTouchedTheField()
    {
        var versions = new[] { V(1, "git/ada@example.com", "spec.containers[0].image"), V(2, "control-loop/scheduler", "status.nodeName") };

        Assert.Null(Blame.LastSetter(versions, "metadata.labels"));
        Assert.Null(Blame.LastSetter([], "spec"));
    }

    [Fact]
    public void LastSetter_CountsADeletion_AsSettingEveryField()
    {
        var deleted = V(3, "git/bob@example.com") with { Deleted = true };
        var versions = new[] { V(1, "git/ada@example.com", "*"), V(2, "control-loop/scheduler", "status.nodeName"), deleted };

        Assert.Same(deleted, Blame.LastSetter(versions, "status.nodeName"));
    }
}
