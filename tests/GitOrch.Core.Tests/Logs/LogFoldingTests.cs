using GitOrch.Core.Logs;

namespace GitOrch.Core.Tests.Logs;

public sealed class LogFoldingTests
{
    [Theory]
    [InlineData("", "")]
    [InlineData("a", "a")]
    [InlineData("a|a|a", "a (×3)")]
    [InlineData("a|b|a", "a|b|a")]
    [InlineData("a|a|b|b|b|a", "a (×2)|b (×3)|a")]
    [InlineData("x|x (×2)", "x|x (×2)")]
    public void Fold_FoldsOnlyRunsOfIdenticalConsecutiveLines_WithTheirCount(string lines, string expected)
    {
        var input = lines.Length == 0 ? [] : lines.Split('|');

        Assert.Equal(expected, string.Join('|', LogFolding.Fold(input)));
    }

    [Fact]
    public void Fold_OfRecords_KeepsTheLastItemOfEachRun()
    {
        var folded = LogFolding.Fold([(1, "poll"), (2, "poll"), (3, "done")], x => x.Item2, (x, n) => (x.Item1, $"{x.Item2}×{n}"));

        Assert.Equal([(2, "poll×2"), (3, "done×1")], folded);
    }
}
