using Microsoft.Extensions.Time.Testing;
using System.Runtime.InteropServices;

namespace GitOrch.Cli.Tests;

/// <summary>
/// The allocator settings of the long-running verbs (arena cap, fixed thresholds). These tests set
/// the process's environment, which the verbs run in-process by other tests read, so they run alone.
/// </summary>
[Collection(Collection)]
public sealed class NativeHeapTests
{
    public const string Collection = "native heap (environment)";

    /// <summary>
    /// The blocks <see cref="Trim_GivesBackFreeMemoryBetweenBlocksInUse"/> keeps, held for the
    /// process's life (1 MB): freed, they would join the runs between them into one free chunk of
    /// 64 MB, and the heap would then serve the large blocks that the threshold test expects mapped.
    /// </summary>
    private static readonly List<IntPtr> Fences = [];

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

    /// <summary>
    /// The thresholds take effect: glibc marks a block it mapped on its own in the size word before
    /// it (bit 2, IS_MMAPPED). With the threshold fixed at 1 MB, a 2 MB block is mapped (glibc's own
    /// raising would have put it in the heap once a large block had been freed) and a 512 KB block
    /// is not (glibc's default of 128 KB would map it).
    /// </summary>
    [Fact]
    public void FixThresholds_MapsLargeBlocksAlone_AndKeepsSmallerOnesInTheHeap()
    {
        WithEnvironment(("MALLOC_MMAP_THRESHOLD_", null), ("GLIBC_TUNABLES", null), () =>
        {
            Assert.True(NativeHeap.FixThresholds(), "mallopt(M_MMAP_THRESHOLD / M_TRIM_THRESHOLD) was not reached");
            Assert.True(MappedAlone(2 * 1024 * 1024), "a 2 MB block came from the heap: the mmap threshold is not 1 MB");
            Assert.False(MappedAlone(512 * 1024), "a 512 KB block was mapped on its own: the mmap threshold is not 1 MB");
        });
    }

    [Theory]
    [InlineData("MALLOC_MMAP_THRESHOLD_", "65536")]
    [InlineData("MALLOC_TRIM_THRESHOLD_", "65536")]
    [InlineData("GLIBC_TUNABLES", "glibc.malloc.mmap_threshold=65536")]
    [InlineData("GLIBC_TUNABLES", "glibc.malloc.trim_threshold=65536")]
    public void FixThresholds_LeavesAnOperatorsChoice(string variable, string value)
    {
        WithEnvironment((variable, value), () => Assert.False(NativeHeap.FixThresholds()));
    }

    /// <summary>
    /// Free memory between blocks still in use goes back to the kernel. 64 MB of 4 KB blocks (below
    /// any mmap threshold, so from the heap) are written, then all but one in 64 freed: the blocks
    /// left keep the freed runs from the heap's top, where glibc's own trimming would reach them.
    /// Without the trim the process keeps them resident.
    /// </summary>
    [Fact]
    public void Trim_GivesBackFreeMemoryBetweenBlocksInUse()
    {
        const int block = 4096;
        const int count = 64 * 256;
        var blocks = new IntPtr[count];
        for (var i = 0; i < count; i++)
        {
            blocks[i] = Marshal.AllocHGlobal(block);
            for (var offset = 0; offset < block; offset += 512)
            {
                Marshal.WriteByte(blocks[i], offset, 1);
            }
        }

        for (var i = 0; i < count; i++)
        {
            if (i % 64 == 63)
            {
                Fences.Add(blocks[i]);
            }
            else
            {
                Marshal.FreeHGlobal(blocks[i]);
            }
        }

        var before = ResidentAnonymousBytes();
        Assert.True(NativeHeap.Trim(), "malloc_trim was not reached, or gave nothing back");
        var after = ResidentAnonymousBytes();
        Assert.True(before - after >= 32L << 20, $"resident anonymous memory went from {before >> 20} MB to {after >> 20} MB; about 63 MB was free between blocks in use");
    }

    [Fact]
    public void TrimPeriodically_TrimsEachPeriod_UntilDisposed()
    {
        WithEnvironment(("MALLOC_TRIM_THRESHOLD_", null), ("GLIBC_TUNABLES", null), () =>
        {
            var time = new FakeTimeProvider();
            var trims = 0;
            var trimming = NativeHeap.TrimPeriodically(time, TimeSpan.FromSeconds(1), () => trims++);
            Assert.NotNull(trimming);
            time.Advance(TimeSpan.FromMilliseconds(999));
            Assert.Equal(0, trims);
            time.Advance(TimeSpan.FromSeconds(3));
            Assert.Equal(3, trims);
            trimming.Dispose();
            time.Advance(TimeSpan.FromSeconds(5));
            Assert.Equal(3, trims);
        });
    }

    [Theory]
    [InlineData("MALLOC_TRIM_THRESHOLD_", "65536")]
    [InlineData("GLIBC_TUNABLES", "glibc.malloc.trim_threshold=65536")]
    public void TrimPeriodically_LeavesAnOperatorsChoice(string variable, string value)
    {
        WithEnvironment((variable, value), () => Assert.Null(NativeHeap.TrimPeriodically(new FakeTimeProvider(), TimeSpan.FromSeconds(1), () => { })));
    }

    private static long ResidentAnonymousBytes()
    {
        var line = File.ReadLines("/proc/self/status").First(l => l.StartsWith("RssAnon:", StringComparison.Ordinal));
        return long.Parse(line["RssAnon:".Length..].Trim().Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture) * 1024;
    }

    private static bool MappedAlone(int bytes)
    {
        var block = Marshal.AllocHGlobal(bytes); // malloc on Linux
        try
        {
            return (Marshal.ReadInt64(block, -8) & 2) != 0; // glibc's chunk header: size word, IS_MMAPPED bit.
        }
        finally
        {
            Marshal.FreeHGlobal(block);
        }
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
