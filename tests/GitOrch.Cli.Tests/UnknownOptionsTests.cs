namespace GitOrch.Cli.Tests;

/// <summary>A mistyped option is named as an unknown option with the closest real ones, never guessed from a stray value.</summary>
public sealed class UnknownOptionsTests
{
    [Theory]
    [InlineData(new[] { "get", "pod", "--namespcae", "demo" }, "unknown option '--namespcae' for `gitorch get`. Did you mean '--namespace'? (`gitorch get --help` lists its options)")]
    [InlineData(new[] { "get", "pod", "worker", "--outptu", "json" }, "unknown option '--outptu' for `gitorch get`. Did you mean '--output'? (`gitorch get --help` lists its options)")]
    [InlineData(new[] { "why", "worker", "--sever=http://x" }, "unknown option '--sever' for `gitorch why`. Did you mean '--server'? (`gitorch why --help` lists its options)")]
    [InlineData(new[] { "image", "ls", "--stat", "x" }, "unknown option '--stat' for `gitorch image ls`. Did you mean '--state'? (`gitorch image ls --help` lists its options)")]
    [InlineData(new[] { "get", "pod", "--frobnicate" }, "unknown option '--frobnicate' for `gitorch get` (`gitorch get --help` lists its options)")]
    public void AMistypedOption_IsNamed_WithTheClosestOptionsOfItsCommand(string[] args, string message)
    {
        var (exit, stdout, stderr) = CliRunner.Run([.. args, "--server", "http://127.0.0.1:9"]);

        Assert.Equal((1, string.Empty, $"gitorch: {message}\n"), (exit, stdout, stderr));
    }

    [Fact]
    public void AStrayValue_IsNotGuessedAsAnOption()
    {
        var (exit, _, stderr) = CliRunner.Run("get", "pod", "worker", "demo", "--server", "http://127.0.0.1:9");

        Assert.Equal(1, exit);
        Assert.Contains("Unrecognized command or argument 'demo'", stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("Did you mean", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void AValueThatLooksLikeAnOption_IsStillTheValueOfTheOptionBeforeIt()
    {
        var (_, _, stderr) = CliRunner.Run("get", "pod", "-n", "-demo", "--server", "http://127.0.0.1:9");

        Assert.DoesNotContain("unknown option", stderr, StringComparison.Ordinal);
        Assert.Contains("cannot reach the controller", stderr, StringComparison.Ordinal);
    }
}
