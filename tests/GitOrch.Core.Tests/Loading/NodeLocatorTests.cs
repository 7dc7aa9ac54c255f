using GitOrch.Core.Diagnostics;
using GitOrch.Core.Loading;

namespace GitOrch.Core.Tests.Loading;

public class NodeLocatorTests
{
    private const string Yaml = """
        spec:
          security:
            sysctls:
              net.core.somaxconn: "1024"
          containers:
            - name: a
            - name: b
              image: x
        """;

    private static SourceNode Root()
    {
        var diagnostics = new List<Diagnostic>();
        return YamlReader.Read("f.yaml", Yaml, diagnostics)[0].Root;
    }

    [Theory]
    [InlineData("spec.security.sysctls.net.core.somaxconn", 4, 7)]
    [InlineData("#/spec.containers[1].image", 8, 7)]
    [InlineData("spec.containers[1]", 7, 7)]
    [InlineData("spec", 1, 1)]
    public void Finds_TheKeyPosition_EvenWhenKeysContainDots(string path, int line, int column)
    {
        var found = NodeLocator.Find(Root(), path);
        Assert.NotNull(found);
        Assert.Equal((line, column), found.Value.Position);
    }

    [Fact]
    public void FindNearest_FallsBackToTheParent_ForAMissingField()
    {
        var found = NodeLocator.FindNearest(Root(), "spec.containers[0].image");
        Assert.Equal((6, 7), found.Position);
    }

    [Fact]
    public void Find_ReturnsNull_ForAMissingField() =>
        Assert.Null(NodeLocator.Find(Root(), "spec.nope"));
}
