using System.Text.Json.Nodes;
using GitOrch.Core.Security;

namespace GitOrch.Agent.Runtimes;

/// <summary>
/// The runtime-default seccomp filter: every system call is allowed except those that reach
/// outside the container or into the kernel (the list Docker's default profile blocks for an
/// unprivileged container). They fail with EPERM. <c>seccomp: Unconfined</c> (with its exception)
/// removes the filter.
/// </summary>
public static class SeccompProfile
{
    /// <summary>The blocked calls: one list with the exec loop sandbox's filter (<see cref="SeccompFilter"/>).</summary>
    public static IReadOnlyList<string> Blocked => SeccompFilter.RuntimeDefaultBlocked;

    public static JsonObject Json() => new()
    {
        ["defaultAction"] = "SCMP_ACT_ALLOW",
        ["architectures"] = new JsonArray("SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32", "SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM"),
        ["syscalls"] = new JsonArray(new JsonObject
        {
            ["names"] = new JsonArray([.. Blocked.Select(n => (JsonNode)n)]),
            ["action"] = "SCMP_ACT_ERRNO",
            ["errnoRet"] = 1,
        }),
    };
}
