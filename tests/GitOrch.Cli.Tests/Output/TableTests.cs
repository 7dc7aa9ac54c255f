using GitOrch.Cli.Output;

namespace GitOrch.Cli.Tests.Output;

public sealed class TableTests
{
    [Fact]
    public void ACell_IsEscaped_SoARowStaysOneLine()
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
