using GitOrch.Agent.Native;
using GitOrch.Agent.Runtimes;

namespace GitOrch.Agent.Tests.Support;

/// <summary>
/// A fact that needs runc and root (real containers). Skipped with the reason only off CI and not
/// as root (<see cref="GitOrch.Tests.Shared.RootOnly"/>); as root or in CI a missing runc fails it.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class RuncFactAttribute : FactAttribute
{
    public const string Reason = "skipped: runc or root not available";

    public RuncFactAttribute() => Skip = GitOrch.Tests.Shared.RootOnly.SkipReason(Available, Reason);

    public static bool Available => RuncDriver.RuncPath is not null && Posix.IsRoot;
}

/// <summary>A fact about what the agent does when it runs as root (dropping privileges); skipped otherwise, off CI only.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class RootFactAttribute : FactAttribute
{
    public RootFactAttribute() =>
        Skip = GitOrch.Tests.Shared.RootOnly.SkipReason(Posix.IsRoot, "skipped: root not available (the process runtime drops to uid 65534 only when the agent runs as root)");
}

/// <summary>A fact that needs a tool on PATH and root (umoci unpacks OCI layouts as root: the image store does not pass --rootless); skipped otherwise.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class ToolFactAttribute : FactAttribute
{
    public ToolFactAttribute(string tool)
    {
        var path = (Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin").Split(':', StringSplitOptions.RemoveEmptyEntries);
        Skip = GitOrch.Tests.Shared.RootOnly.SkipReason(path.Any(dir => File.Exists(Path.Combine(dir, tool))) && Posix.IsRoot, $"skipped: {tool} or root not available");
    }
}

/// <summary>A fact that needs root and iproute2 (network namespaces); skipped with the reason when the machine has neither.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class NetnsFactAttribute : FactAttribute
{
    public const string Reason = "skipped: root or iproute2 not available";

    public NetnsFactAttribute()
    {
        if (!Available)
        {
            Skip = Reason;
        }
    }

    public static bool Available => Posix.IsRoot && GitOrch.Agent.Network.NodeNetworking.Available;
}
