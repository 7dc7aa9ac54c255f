namespace GitOrch.History.Tests;

public class UnifiedDiffTests
{
    private static string Numbers(int count, Func<int, string>? map = null) =>
        string.Concat(Enumerable.Range(1, count).Select(i => (map?.Invoke(i) ?? i.ToString(System.Globalization.CultureInfo.InvariantCulture)) + "\n"));

    [Fact]
    public void ChangedLineInTheMiddle_IsShownWithThreeLinesOfContext()
    {
        var diff = UnifiedDiff.Create("a\nb\nc\nd\ne\nf\ng\nh\ni\n", "a\nb\nc\nd\nE\nf\ng\nh\ni\n", "Pod/demo/web-0@1", "Pod/demo/web-0@2");

        Assert.Equal(
            """
            --- Pod/demo/web-0@1
            +++ Pod/demo/web-0@2
            @@ -2,7 +2,7 @@
             b
             c
             d
            -e
            +E
             f
             g
             h

            """,
            diff);
    }

    [Fact]
    public void AdditionsAtTheEnd_FormOneHunk()
    {
        Assert.Equal(
            "--- v1\n+++ v2\n@@ -1,2 +1,4 @@\n a\n b\n+c\n+d\n",
            UnifiedDiff.Create("a\nb\n", "a\nb\nc\nd\n", "v1", "v2"));
    }

    [Fact]
    public void RemovedLine_IsShownWithItsContext()
    {
        Assert.Equal("--- v1\n+++ v2\n@@ -1,3 +1,2 @@\n a\n-b\n c\n", UnifiedDiff.Create("a\nb\nc\n", "a\nc\n", "v1", "v2"));
    }

    [Theory]
    [InlineData("")]
    [InlineData("a\n")]
    [InlineData("spec:\n  replicas: 3\n")]
    public void IdenticalTexts_GiveAnEmptyDiff(string text) =>
        Assert.Equal(string.Empty, UnifiedDiff.Create(text, text, "v1", "v2"));

    [Fact]
    public void ChangesFarApart_FormTwoHunks()
    {
        var diff = UnifiedDiff.Create(Numbers(20), Numbers(20, i => i switch { 4 => "four", 12 => "twelve", _ => i.ToString(System.Globalization.CultureInfo.InvariantCulture) }), "v1", "v2");

        Assert.Equal(
            """
            --- v1
            +++ v2
            @@ -1,7 +1,7 @@
             1
             2
             3
            -4
            +four
             5
             6
             7
            @@ -9,7 +9,7 @@
             9
             10
             11
            -12
            +twelve
             13
             14
             15

            """,
            diff);
    }

    [Fact]
    public void ChangesSixLinesApart_ShareOneHunk()
    {
        var diff = UnifiedDiff.Create(Numbers(20), Numbers(20, i => i switch { 5 => "five", 11 => "eleven", _ => i.ToString(System.Globalization.CultureInfo.InvariantCulture) }), "v1", "v2");

        Assert.Equal(
            "--- v1\n+++ v2\n@@ -2,13 +2,13 @@\n 2\n 3\n 4\n-5\n+five\n 6\n 7\n 8\n 9\n 10\n-11\n+eleven\n 12\n 13\n 14\n",
            diff);
    }

    [Fact]
    public void FromNothing_EveryLineIsAdded()
    {
        Assert.Equal("--- /dev/null\n+++ v1\n@@ -0,0 +1,2 @@\n+a\n+b\n", UnifiedDiff.Create(string.Empty, "a\nb\n", "/dev/null", "v1"));
    }

    [Fact]
    public void ToNothing_EveryLineIsRemoved()
    {
        Assert.Equal("--- v2\n+++ v3\n@@ -1,2 +0,0 @@\n-a\n-b\n", UnifiedDiff.Create("a\nb\n", string.Empty, "v2", "v3"));
    }

    [Fact]
    public void ContextSetting_ChangesTheLinesAround()
    {
        Assert.Equal(
            "--- v1\n+++ v2\n@@ -4,3 +4,3 @@\n 4\n-5\n+five\n 6\n",
            UnifiedDiff.Create(Numbers(9), Numbers(9, i => i == 5 ? "five" : i.ToString(System.Globalization.CultureInfo.InvariantCulture)), "v1", "v2", context: 1));
    }
}
