using System.Runtime.InteropServices;

namespace GitOrch.Cli;

/// <summary>
/// The C library's allocator, as the long-running verbs (up, controller, agent) want it; one-shot
/// commands keep glibc's defaults. Each setting yields to the operator's own (glibc reads its
/// environment variables and GLIBC_TUNABLES at start), and is skipped off glibc, where it does not
/// exist. The effects are measured by the controller case in bench/ (docs/benchmarks.md, "Peak RSS").
/// </summary>
internal static partial class NativeHeap
{
    /// <summary>The arenas the long-running verbs allow.</summary>
    public const int Arenas = 2;

    /// <summary>Blocks of this size or more are mapped on their own and returned whole when freed.</summary>
    public const int MmapThreshold = 1024 * 1024;

    /// <summary>Free memory at the top of a heap beyond this is given back to the kernel.</summary>
    public const int TrimThreshold = 2 * 1024 * 1024;

    /// <summary>How often the long-running verbs trim their heaps.</summary>
    public static readonly TimeSpan TrimPeriod = TimeSpan.FromSeconds(1);

    private const int MallocTrimThreshold = -1; // M_TRIM_THRESHOLD in glibc's malloc.h
    private const int MallocMmapThreshold = -3; // M_MMAP_THRESHOLD
    private const int MallocArenaMax = -8; // M_ARENA_MAX

    /// <summary>
    /// What the long-running verbs call first: <see cref="LimitArenas"/>, <see cref="FixThresholds"/>
    /// and <see cref="TrimPeriodically"/>, whose trimming lasts until the verb disposes what this returns.
    /// </summary>
    public static IDisposable? ForLongRunningVerb(TimeProvider time)
    {
        LimitArenas();
        FixThresholds();
        return TrimPeriodically(time);
    }

    /// <summary>
    /// Caps the allocator's arenas at <see cref="Arenas"/> unless the operator chose a cap
    /// (MALLOC_ARENA_MAX, or glibc.malloc.arena_max in GLIBC_TUNABLES). glibc gives each new thread
    /// that allocates an arena of its own, up to eight per core; the runtime's JIT, SQLite and
    /// libgit2 allocate from many threads, and each arena keeps what it once held. The cap reaches
    /// the threads started after it: those the runtime started before the verb keep theirs (7
    /// arenas at the controller's start here), and glibc no longer takes a cap once it has made
    /// more than eight. The controller following 10,000 objects then held 38 to 42 MB of native
    /// heap in 7 arenas where it held 57 MB in 15, with its applies as fast; MALLOC_ARENA_MAX in the
    /// environment, read before any thread starts, reaches them all.
    /// Returns whether the cap was set.
    /// </summary>
    public static bool LimitArenas() =>
        !OperatorChose("MALLOC_ARENA_MAX", "arena_max") && Set(MallocArenaMax, Arenas);

    /// <summary>
    /// Fixes the size from which a block is mapped on its own (<see cref="MmapThreshold"/>) and how
    /// much free memory a heap keeps at its top (<see cref="TrimThreshold"/>), unless the operator
    /// chose either (MALLOC_MMAP_THRESHOLD_, MALLOC_TRIM_THRESHOLD_, or glibc.malloc.mmap_threshold
    /// or glibc.malloc.trim_threshold in GLIBC_TUNABLES). By default glibc raises both each time a
    /// mapped block is freed, up to 32 MB mapped on its own and 64 MB kept at a heap's top, so the
    /// large buffers of one burst (SQLite, libgit2, zlib) can stay resident after it. Fixed, the
    /// controller's peak following 10,000 objects was a few MB lower (medians of five runs: 276
    /// against 279 MB; less than the spread between runs), its first apply as fast; a 128 KB
    /// threshold made that apply three times slower (a mapping and its page faults for every
    /// buffer of 128 KB to 1 MB).
    /// Returns whether both were set.
    /// </summary>
    public static bool FixThresholds()
    {
        if (OperatorChose("MALLOC_MMAP_THRESHOLD_", "mmap_threshold") || OperatorChose("MALLOC_TRIM_THRESHOLD_", "trim_threshold"))
        {
            return false; // Setting one turns off glibc's raising of both: the operator's pair stays whole.
        }

        return Set(MallocMmapThreshold, MmapThreshold) && Set(MallocTrimThreshold, TrimThreshold);
    }

    /// <summary>
    /// Gives the kernel back the free pages inside the allocator's heaps (glibc's malloc_trim), not
    /// only those at a heap's top that the trim threshold reaches: a burst's freed buffers sit
    /// between blocks still in use, and without this they stay resident. Returns whether memory was
    /// given back (false off glibc).
    /// </summary>
    public static bool Trim() => OnGlibc(() => MallocTrim(0));

    /// <summary>
    /// Trims the heaps (<see cref="Trim"/>) every <see cref="TrimPeriod"/> until disposed, unless the
    /// operator chose the trim threshold (MALLOC_TRIM_THRESHOLD_, or glibc.malloc.trim_threshold in
    /// GLIBC_TUNABLES), which says how much free memory the heaps may keep. The controller following
    /// 10,000 objects held 17 to 24 MB less once its first apply was done, and peaked 8 to 16 MB lower
    /// (docs/benchmarks.md, "Peak RSS"). A trim walks each arena under its lock: well under a
    /// millisecond at rest, up to about 25 ms while a burst has left much to give back.
    /// Returns null when trimming is left to the operator.
    /// </summary>
    public static IDisposable? TrimPeriodically(TimeProvider time) =>
        TrimPeriodically(time, TrimPeriod, () => Trim());

    internal static IDisposable? TrimPeriodically(TimeProvider time, TimeSpan period, Action trim) =>
        OperatorChose("MALLOC_TRIM_THRESHOLD_", "trim_threshold")
            ? null
            : time.CreateTimer(_ => trim(), null, period, period);

    private static bool OperatorChose(string variable, string tunable) =>
        Environment.GetEnvironmentVariable(variable) is { Length: > 0 }
        || Environment.GetEnvironmentVariable("GLIBC_TUNABLES")?.Contains("glibc.malloc." + tunable, StringComparison.Ordinal) == true;

    private static bool Set(int param, int value) => OnGlibc(() => Mallopt(param, value));

    /// <summary>Calls glibc's <paramref name="call"/>, which answers 1 for done; false off Linux or off glibc.</summary>
    private static bool OnGlibc(Func<int> call)
    {
        if (!OperatingSystem.IsLinux())
        {
            return false;
        }

        try
        {
            return call() == 1;
        }
        catch (Exception ex) when (ex is EntryPointNotFoundException or DllNotFoundException)
        {
            return false; // Not glibc.
        }
    }

    [LibraryImport("libc", EntryPoint = "mallopt")]
    private static partial int Mallopt(int param, int value);

    [LibraryImport("libc", EntryPoint = "malloc_trim")]
    private static partial int MallocTrim(nuint pad);
}
