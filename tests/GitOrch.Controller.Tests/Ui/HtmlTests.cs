using GitOrch.Controller.Ui;

namespace GitOrch.Controller.Tests.Ui;

public sealed class HtmlTests
{
    [Theory]
    [InlineData("<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;")]
    [InlineData("\" onmouseover=\"x", "&quot; onmouseover=&quot;x")]
    [InlineData("' autofocus onfocus='x", "&#x27; autofocus onfocus=&#x27;x")]
    [InlineData("a & b", "a &amp; b")]
    [InlineData("</pre><img src=x onerror=alert(1)>", "&lt;/pre&gt;&lt;img src=x onerror=alert(1)&gt;")]
    public void Add_EncodesEveryInterpolatedValue(string hostile, string encoded)
    {
        var html = new Html().Add($"<p title=\"{hostile}\">{hostile}</p>");

        Assert.Equal($"<p title=\"{encoded}\">{encoded}</p>", html.ToString());
    }

    /// <summary>A right-to-left override in a subject would make the page read differently from what the commit holds.</summary>
    [Fact]
    public void Add_ShowsReorderingAndControlCharactersAsEscapes_AndKeepsLineBreaks()
    {
        var html = new Html().Add($"<pre>{"Fix \u202eexe.txt\u202c\nnext line \u001b[31mred"}</pre>");

        Assert.Equal(@"<pre>Fix \u202eexe.txt\u202c&#xA;next line \u001b[31mred</pre>", html.ToString()); // The encoder writes a line break as &#xA;, still a line break.
    }

    [Fact]
    public void Add_InsertsRawMarkupAsWritten()
    {
        var inner = new Html().Add($"<b>{"<i>"}</b>");

        var html = new Html().Add($"<p>{Raw.Of(inner)}</p>");

        Assert.Equal("<p><b>&lt;i&gt;</b></p>", html.ToString());
    }

    [Fact]
    public void Add_WritesTimesAndNumbersInvariantly()
    {
        var html = new Html().Add($"{1234.5} {new DateTimeOffset(2026, 11, 30, 14, 0, 0, TimeSpan.FromHours(2))}");

        Assert.Equal("1234.5 2026-11-30 12:00:00Z", html.ToString());
    }
}
