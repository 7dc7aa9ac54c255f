using GitOrch.Core.Loading;

namespace GitOrch.Core.Tests.Loading;

public class IgnoreRulesTests
{
    [Theory]
    [InlineData("broken/", "broken/a.yaml", true)]
    [InlineData("broken/", "apps/broken/a.yaml", true)]
    [InlineData("/broken/", "apps/broken/a.yaml", false)]
    [InlineData("*.tmp.yaml", "apps/x.tmp.yaml", true)]
    [InlineData("apps/*.yaml", "apps/x.yaml", true)]
    [InlineData("apps/*.yaml", "apps/sub/x.yaml", false)]
    [InlineData("apps/**/x.yaml", "apps/sub/deep/x.yaml", true)]
    [InlineData("# comment\n\nbroken/", "broken/a.yaml", true)]
    [InlineData("drafts/\n!drafts/keep.yaml", "drafts/keep.yaml", true)]
    [InlineData("*.yaml\n!keep.yaml", "keep.yaml", false)]
    [InlineData("", "a.yaml", false)]
    public void Ignores_LikeGitignore(string rules, string path, bool ignored) =>
        Assert.Equal(ignored, new IgnoreRules(rules).IsFileIgnored(path));

    [Theory]
    [InlineData("a.yaml", true)]
    [InlineData("a/b.YML", true)]
    [InlineData("a.json", false)]
    [InlineData(".hidden/a.yaml", false)]
    [InlineData("a/.b.yaml", false)]
    public void Recognises_ManifestPaths(string path, bool expected) =>
        Assert.Equal(expected, IgnoreRules.IsManifestPath(path));
}
