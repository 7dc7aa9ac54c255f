namespace GitOrch.Tests.Shared;

/// <summary>
/// Tests that need root (runc, namespaces, dropping to another user). They may skip only on a
/// developer's machine without root. As root, or with CI=true, a missing prerequisite is never a
/// skip: the test runs and fails, so CI cannot pass by skipping what it must prove.
/// </summary>
internal static class RootOnly
{
    public static bool IsRoot => Environment.IsPrivilegedProcess;

    /// <summary>Whether skipping is forbidden here: running as root, or in CI.</summary>
    public static bool MustRun =>
        IsRoot || string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    /// <summary>The skip reason when the prerequisite is missing and skipping is allowed; otherwise null (the test runs).</summary>
    public static string? SkipReason(bool available, string reason) => available || MustRun ? null : reason;
}

/// <summary>A fact that needs root; skipped only off CI and not as root (see <see cref="RootOnly"/>).</summary>
[AttributeUsage(AttributeTargets.Method)]
internal sealed class AsRootFactAttribute : FactAttribute
{
    public AsRootFactAttribute() => Skip = RootOnly.SkipReason(RootOnly.IsRoot, "skipped: root not available");
}
