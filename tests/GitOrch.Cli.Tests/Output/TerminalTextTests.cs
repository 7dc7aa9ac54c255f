using GitOrch.Cli.Output;

namespace GitOrch.Cli.Tests.Output;

public sealed class TerminalTextTests
{
    [Theory]
    [InlineData("web\n", @"web\n")]
    [InlineData("a\r\tb", @"a\r\tb")]
    [InlineData("\u001b[2J\u001b]52;c;cHduZWQ=\u0007", @"\u001b[2J\u001b]52;c;cHduZWQ=\u0007")]
    [InlineData("x\u009by\u007f", @"x\u009by\u007f")]
    [InlineData("admin\u202e\u2066txt.exe", @"admin\u202e\u2066txt.exe")]
    [InlineData("\0", @"\u0000")]
    public void ControlAndReorderingCharacters_AreShownAsEscapes(string text, string shown) =>
        Assert.Equal(shown, TerminalText.Safe(text));

    [Theory]
    [InlineData("Pod demo/web-0: image busybox:1.35")]
    [InlineData("café 日本 \u00a0non-breaking, emoji 🙂")]
    [InlineData("")]
    public void PrintableText_IsTheSameString(string text) => Assert.Same(text, TerminalText.Safe(text));

    [Fact]
    public void Nothing_IsEmpty() => Assert.Equal(string.Empty, TerminalText.Safe(null));

    [Fact]
    public void ATableCell_IsEscaped_SoARowStaysOneLine()
    {
        var table = new Table("NAME", "SUBJECT");
        table.Add("web", "Fix\nApplied  deadbeef  all good\u001b[8m");
        var output = new StringWriter();
        table.Write(output);
        var lines = output.ToString().TrimEnd().Split('\n');
        Assert.Equal(2, lines.Length);
        Assert.EndsWith(@"Fix\nApplied  deadbeef  all good\u001b[8m", lines[1], StringComparison.Ordinal);
    }
}
