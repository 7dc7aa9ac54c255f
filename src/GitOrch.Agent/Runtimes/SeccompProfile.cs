using System.Text.Json.Nodes;

namespace GitOrch.Agent.Runtimes;

/// <summary>
/// The runtime-default seccomp filter: every system call is allowed except those that reach
/// outside the container or into the kernel (the list Docker's default profile blocks for an
/// unprivileged container). They fail with EPERM. <c>seccomp: Unconfined</c> (with its exception)
/// removes the filter.
/// </summary>
public static class SeccompProfile
{
    public static readonly IReadOnlyList<string> Blocked =
    [
        "acct", "add_key", "bpf", "clock_adjtime", "clock_settime", "create_module", "delete_module", "finit_module",
        "get_kernel_syms", "get_mempolicy", "init_module", "ioperm", "iopl", "kcmp", "kexec_file_load", "kexec_load",
        "keyctl", "lookup_dcookie", "mbind", "mount", "move_mount", "move_pages", "name_to_handle_at", "nfsservctl",
        "open_by_handle_at", "open_tree", "perf_event_open", "personality", "pivot_root", "process_vm_readv",
        "process_vm_writev", "ptrace", "query_module", "quotactl", "reboot", "request_key", "set_mempolicy", "setns",
        "settimeofday", "stime", "swapoff", "swapon", "sysfs", "_sysctl", "umount", "umount2", "unshare", "uselib",
        "userfaultfd", "ustat", "vm86", "vm86old", "fsconfig", "fsmount", "fsopen", "fspick",
    ];

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
