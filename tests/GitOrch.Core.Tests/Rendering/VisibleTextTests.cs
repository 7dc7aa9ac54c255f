using GitOrch.Core.Rendering;

namespace GitOrch.Core.Tests.Rendering;

public sealed class VisibleTextTests
{
    [Theory]
    [InlineData("web\n", @"web\n")]
    [InlineData("a\r\tb", @"a\r\tb")]
    [InlineData("\u001b[2J\u001b]52;c;cHduZWQ=\u0007", @"\u001b[2J\u001b]52;c;cHduZWQ=\u0007")]
    [InlineData("x\u009by\u007f", @"x\u009by\u007f")]
    [InlineData("admin\u202e\u2066txt.exe", @"admin\u202e\u2066txt.exe")]
    [InlineData("\0", @"\u0000")]
    [InlineData("one\u2028two\u2029three", @"one\u2028two\u2029three")]
    public void OneLine_ShowsControlAndReorderingCharactersAsEscapes(string text, string shown) =>
        Assert.Equal(shown, VisibleText.OneLine(text));

    [Theory]
    [InlineData("line 1\nline 2\r\n\tindented", "line 1\nline 2\r\n\tindented")]
    [InlineData("ok\n\u001b[31mred\u001b[0m", "ok\n\\u001b[31mred\\u001b[0m")]
    [InlineData("return x; \u202e } \u2066if (admin)\u2069", "return x; \\u202e } \\u2066if (admin)\\u2069")]
    public void KeepingLineBreaks_EscapesTheRest(string text, string shown) =>
        Assert.Equal(shown, VisibleText.KeepingLineBreaks(text));

    [Theory]
    [InlineData("Pod demo/web-0: image busybox:1.35")]
    [InlineData("café 日本 \u00a0non-breaking, emoji 🙂")]
    [InlineData("")]
    public void PrintableText_IsTheSameString(string text)
    {
        Assert.Same(text, VisibleText.OneLine(text));
        Assert.Same(text, VisibleText.KeepingLineBreaks(text));
    }

    [Fact]
    public void Nothing_IsEmpty() => Assert.Equal(string.Empty, VisibleText.OneLine(null));
}
