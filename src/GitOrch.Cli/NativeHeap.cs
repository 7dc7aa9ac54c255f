using System.Runtime.InteropServices;

namespace GitOrch.Cli;

/// <summary>
/// The C library's allocator, as the long-running verbs (up, controller, agent) want it. glibc gives
/// each new thread that allocates an arena of its own, up to eight per core; the runtime's JIT,
/// SQLite and libgit2 allocate from many threads, and each arena keeps what it once held. The cap
/// reaches the threads started after it: those the runtime started before the verb keep theirs (7
/// arenas at the controller's start here), and glibc no longer takes a cap once it has made more
/// than eight. The controller following 10,000 objects then held 38 to 42 MB of native heap in 7
/// arenas where it held 57 MB in 15, with its applies as fast (docs/benchmarks.md); MALLOC_ARENA_MAX
/// in the environment, read before any thread starts, reaches them all. One-shot commands keep
/// glibc's default.
/// </summary>
internal static partial class NativeHeap
{
    /// <summary>The arenas the long-running verbs allow.</summary>
    public const int Arenas = 2;

    private const int MallocArenaMax = -8; // M_ARENA_MAX in glibc's malloc.h

    /// <summary>
    /// Caps the allocator's arenas at <see cref="Arenas"/> unless the operator chose a cap
    /// (MALLOC_ARENA_MAX, or glibc.malloc.arena_max in GLIBC_TUNABLES: glibc read it at start).
    /// Returns whether the cap was set: false off glibc, where there is no such setting.
    /// </summary>
    public static bool LimitArenas()
    {
        if (!OperatingSystem.IsLinux()
            || Environment.GetEnvironmentVariable("MALLOC_ARENA_MAX") is { Length: > 0 }
            || Environment.GetEnvironmentVariable("GLIBC_TUNABLES")?.Contains("arena_max", StringComparison.Ordinal) == true)
        {
            return false;
        }

        try
        {
            return Mallopt(MallocArenaMax, Arenas) == 1;
        }
        catch (Exception ex) when (ex is EntryPointNotFoundException or DllNotFoundException)
        {
            return false; // Not glibc.
        }
    }

    [LibraryImport("libc", EntryPoint = "mallopt")]
    private static partial int Mallopt(int param, int value);
}
