using GitOrch.Core.Ownership;

namespace GitOrch.Core.Tests.Ownership;

public class FieldPathTests
{
    [Theory]
    [InlineData("Pod:status", "Pod:status.nodeName", true)]
    [InlineData("Pod:status.nodeName", "Pod:status", true)]
    [InlineData("Pod:status.nodeName", "Pod:status.nodeName", true)]
    [InlineData("Pod:status.node", "Pod:status.nodeName", false)]
    [InlineData("Pod:spec.containers", "Pod:spec.containers[*].image", true)]
    [InlineData("Pod:spec.containers[*].image", "Pod:spec.containers[*].env", false)]
    [InlineData("Pod:status.x", "PinnedDeployment:status.x", false)]
    public void Overlaps_WhenOneIsAPrefixOfTheOther(string a, string b, bool overlaps)
    {
        Assert.Equal(overlaps, FieldPath.Parse(a).Overlaps(FieldPath.Parse(b)));
        Assert.Equal(overlaps, FieldPath.Parse(b).Overlaps(FieldPath.Parse(a)));
    }

    [Theory]
    [InlineData("Pod:spec.containers[*].image")]
    [InlineData("PinnedDeployment:status")]
    [InlineData("Pod:metadata.annotations")]
    public void RoundTrips(string text) => Assert.Equal(text, FieldPath.Parse(text).ToString());

    [Theory]
    [InlineData("status.x")]
    [InlineData("Pod:")]
    [InlineData("Pod:other.x")]
    [InlineData("Pod:status..x")]
    [InlineData("Pod:status.x[0]")]
    public void Rejects_Malformed(string text) => Assert.False(FieldPath.TryParse(text, out _, out _));

    [Fact]
    public void Covers_ConcreteFields_WithListIndexesAsAnyItem() =>
        Assert.True(FieldPath.Parse("Pod:spec.containers[*].image").Covers("Pod", ["spec", "containers", "[*]", "image"]));

    [Fact]
    public void BuiltInLoops_OwnDisjointFields()
    {
        var owned = BuiltInLoops.All.SelectMany(l => l.Owns.Select(p => (l.Name, p))).ToList();
        foreach (var (a, pa) in owned)
        {
            foreach (var (b, pb) in owned.Where(o => o.Name != a))
            {
                Assert.False(pa.Overlaps(pb), $"{a} {pa} overlaps {b} {pb}");
            }
        }
    }
}
