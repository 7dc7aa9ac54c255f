namespace GitOrch.Cli.Tests;

/// <summary>
/// The arena cap of the long-running verbs. These tests set the process's environment, which the
/// verbs run in-process by other tests read, so they run alone.
/// </summary>
[Collection(Collection)]
public sealed class NativeHeapTests
{
    public const string Collection = "native heap (environment)";

    /// <summary>
    /// Checks that glibc's mallopt is found and takes the cap (a call through a wrong name or library
    /// fails here); glibc answers 1 to any valid parameter, so the cap's effect (fewer arenas) is
    /// measured by the controller case in bench/, not here.
    /// </summary>
    [Fact]
    public void LimitArenas_OnGlibc_ReachesMallopt()
    {
        Assert.True(OperatingSystem.IsLinux(), "the long-running verbs run on Linux");
        WithEnvironment(("MALLOC_ARENA_MAX", null), ("GLIBC_TUNABLES", null), () =>
            Assert.True(NativeHeap.LimitArenas(), "mallopt(M_ARENA_MAX) was not reached: the long-running verbs would keep glibc's arena per thread"));
    }

    [Theory]
    [InlineData("MALLOC_ARENA_MAX", "8")]
    [InlineData("GLIBC_TUNABLES", "glibc.malloc.arena_max=4")]
    public void LimitArenas_LeavesAnOperatorsChoice(string variable, string value)
    {
        WithEnvironment((variable, value), () => Assert.False(NativeHeap.LimitArenas()));
    }

    private static void WithEnvironment((string Name, string? Value) first, Action test) => WithEnvironment(first, (first.Name, first.Value), test);

    private static void WithEnvironment((string Name, string? Value) first, (string Name, string? Value) second, Action test)
    {
        var before = new[] { first, second }.Select(v => (v.Name, Value: Environment.GetEnvironmentVariable(v.Name))).ToList();
        Environment.SetEnvironmentVariable(first.Name, first.Value);
        Environment.SetEnvironmentVariable(second.Name, second.Value);
        try
        {
            test();
        }
        finally
        {
            foreach (var (name, value) in before)
            {
                Environment.SetEnvironmentVariable(name, value);
            }
        }
    }
}

[CollectionDefinition(NativeHeapTests.Collection, DisableParallelization = true)]
public sealed class NativeHeapCollection;
