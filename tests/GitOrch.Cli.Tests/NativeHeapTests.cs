namespace GitOrch.Cli.Tests;

public sealed class NativeHeapTests
{
    [Fact]
    public void LimitArenas_OnGlibc_SetsTheCap()
    {
        Assert.True(OperatingSystem.IsLinux(), "the long-running verbs run on Linux");
        Assert.Null(Environment.GetEnvironmentVariable("MALLOC_ARENA_MAX"));
        Assert.True(NativeHeap.LimitArenas(), "mallopt(M_ARENA_MAX) was refused: the long-running verbs would keep glibc's arena per thread");
    }

    [Theory]
    [InlineData("MALLOC_ARENA_MAX", "8")]
    [InlineData("GLIBC_TUNABLES", "glibc.malloc.arena_max=4")]
    public void LimitArenas_LeavesAnOperatorsChoice(string variable, string value)
    {
        var before = Environment.GetEnvironmentVariable(variable);
        Environment.SetEnvironmentVariable(variable, value);
        try
        {
            Assert.False(NativeHeap.LimitArenas());
        }
        finally
        {
            Environment.SetEnvironmentVariable(variable, before);
        }
    }
}
