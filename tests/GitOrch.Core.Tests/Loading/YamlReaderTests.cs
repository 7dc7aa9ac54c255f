using GitOrch.Core.Diagnostics;
using GitOrch.Core.Loading;

namespace GitOrch.Core.Tests.Loading;

public class YamlReaderTests
{
    private static (IReadOnlyList<SourceDocument> Docs, List<Diagnostic> Diagnostics) Read(string text)
    {
        var diagnostics = new List<Diagnostic>();
        var docs = YamlReader.Read("f.yaml", text, diagnostics);
        return (docs, diagnostics);
    }

    [Fact]
    public void Keeps_LineAndColumn_OfKeysAndValues()
    {
        var (docs, diagnostics) = Read("a: 1\nb:\n  c: [x, y]\n");
        Assert.Empty(diagnostics);
        var root = Assert.IsType<MappingNode>(docs[0].Root);
        var b = root.Entry("b")!.Value;
        Assert.Equal((2, 1), (b.Key.Line, b.Key.Column));
        var c = ((MappingNode)b.Value).Entry("c")!.Value;
        Assert.Equal((3, 3), (c.Key.Line, c.Key.Column));
        var y = ((SequenceNode)c.Value).Items[1];
        Assert.Equal((3, 10), (y.Line, y.Column));
    }

    [Fact]
    public void Reads_SeveralDocuments_AndSkipsEmptyOnes()
    {
        var (docs, diagnostics) = Read("a: 1\n---\n---\nb: 2\n");
        Assert.Empty(diagnostics);
        Assert.Equal(2, docs.Count);
        Assert.Equal(4, docs[1].Root.Line);
    }

    [Fact]
    public void Reports_SyntaxError_WithPosition_AndKeepsEarlierDocuments()
    {
        var (docs, diagnostics) = Read("a: 1\n---\nb: [1, 2\nc: 3\n");
        Assert.Single(docs);
        var d = Assert.Single(diagnostics);
        Assert.Equal(DiagnosticCodes.YamlSyntax, d.Code);
        Assert.Equal("f.yaml", d.File);
        Assert.True(d.Line >= 3, d.ToString());
    }

    [Fact]
    public void Reports_DuplicateKey_AtTheSecondKey_NamingTheFirst()
    {
        var (_, diagnostics) = Read("a: 1\nb: 2\na: 3\n");
        var d = Assert.Single(diagnostics);
        Assert.Equal(DiagnosticCodes.DuplicateKey, d.Code);
        Assert.Equal((3, 1), (d.Line, d.Column));
        Assert.Contains("line 1, column 1", d.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(3, 1)] // a small mapping: its keys are searched in place
    [InlineData(40, 3)] // a large one: its keys go in a dictionary once it has 16
    [InlineData(40, 39)]
    public void Reports_DuplicateKey_InAMappingOfAnySize(int keys, int repeated)
    {
        var yaml = string.Concat(Enumerable.Range(1, keys).Select(i => $"k{i}: {i}\n")) + $"k{repeated}: again\n";
        var (docs, diagnostics) = Read(yaml);

        var d = Assert.Single(diagnostics);
        Assert.Equal(DiagnosticCodes.DuplicateKey, d.Code);
        Assert.Equal((keys + 1, 1), (d.Line, d.Column));
        Assert.Contains($"line {repeated}, column 1", d.Message, StringComparison.Ordinal);
        Assert.Equal(keys, ((MappingNode)Assert.Single(docs).Root).Entries.Count);
    }

    [Theory]
    [InlineData("42", ScalarKind.Integer)]
    [InlineData("-0x1F", ScalarKind.Integer)]
    [InlineData("0o17", ScalarKind.Integer)]
    [InlineData("1.16", ScalarKind.Float)]
    [InlineData("1e3", ScalarKind.Float)]
    [InlineData(".inf", ScalarKind.Float)]
    [InlineData("true", ScalarKind.Boolean)]
    [InlineData("False", ScalarKind.Boolean)]
    [InlineData("yes", ScalarKind.String)]
    [InlineData("on", ScalarKind.String)]
    [InlineData("~", ScalarKind.Null)]
    [InlineData("250m", ScalarKind.String)]
    [InlineData("'42'", ScalarKind.String)]
    [InlineData("\"true\"", ScalarKind.String)]
    public void Resolves_Scalars_ByYaml12CoreSchema(string text, ScalarKind expected)
    {
        var (docs, _) = Read($"v: {text}\n");
        var value = Assert.IsType<ScalarNode>(((MappingNode)docs[0].Root)["v"]);
        Assert.Equal(expected, value.Kind);
    }

    [Fact]
    public void Resolves_Aliases_ToTheAnchoredNode()
    {
        var (docs, diagnostics) = Read("a: &x {k: v}\nb: *x\n");
        Assert.Empty(diagnostics);
        var root = (MappingNode)docs[0].Root;
        Assert.Same(root["a"], root["b"]);
    }

    [Fact]
    public void Reports_UnknownAlias()
    {
        var (_, diagnostics) = Read("a: *nope\n");
        Assert.Equal(DiagnosticCodes.YamlSyntax, Assert.Single(diagnostics).Code);
    }

    [Fact]
    public void Reports_TooDeepNesting_InsteadOfOverflowingTheStack()
    {
        var text = string.Concat(Enumerable.Repeat("[", 5000)) + string.Concat(Enumerable.Repeat("]", 5000));
        var (_, diagnostics) = Read(text);
        Assert.Equal(DiagnosticCodes.YamlSyntax, Assert.Single(diagnostics).Code);
    }
}
