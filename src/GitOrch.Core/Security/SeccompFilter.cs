using System.Runtime.InteropServices;

namespace GitOrch.Core.Security;

/// <summary>
/// The runtime-default seccomp filter as a classic BPF program, for sandboxes that install it
/// themselves (the exec loop's launcher) rather than through runc. The blocked list is the one the
/// oci runtime's profile uses (Docker's default for an unprivileged container); each call fails
/// with EPERM. A system call of another architecture (32-bit or x32 entry points) kills the process, so
/// the list cannot be side-stepped through another ABI.
/// </summary>
public static class SeccompFilter
{
    /// <summary>System calls that reach outside a sandbox or into the kernel.</summary>
    public static readonly IReadOnlyList<string> RuntimeDefaultBlocked =
    [
        "acct", "add_key", "bpf", "clock_adjtime", "clock_settime", "create_module", "delete_module", "finit_module",
        "get_kernel_syms", "get_mempolicy", "init_module", "ioperm", "iopl", "kcmp", "kexec_file_load", "kexec_load",
        "keyctl", "lookup_dcookie", "mbind", "mount", "move_mount", "move_pages", "name_to_handle_at", "nfsservctl",
        "open_by_handle_at", "open_tree", "perf_event_open", "personality", "pivot_root", "process_vm_readv",
        "process_vm_writev", "ptrace", "query_module", "quotactl", "reboot", "request_key", "set_mempolicy", "setns",
        "settimeofday", "stime", "swapoff", "swapon", "sysfs", "_sysctl", "umount", "umount2", "unshare", "uselib",
        "userfaultfd", "ustat", "vm86", "vm86old", "fsconfig", "fsmount", "fsopen", "fspick",
    ];

    /// <summary>
    /// The argv prefix that installs <paramref name="filter"/> and then runs the rest of the argv:
    /// a perl one-liner (perl is part of every Debian-like base system and can make the two system
    /// calls). With <paramref name="noNewPrivs"/> it sets no_new_privs first (required without
    /// CAP_SYS_ADMIN). Filters survive exec, so what runs after them cannot remove them.
    /// </summary>
    public static IReadOnlyList<string> Installer(string perl, byte[] filter, (int Prctl, int Seccomp) calls, bool noNewPrivs) =>
        [perl, "-e", PerlInstaller, Convert.ToHexString(filter), noNewPrivs ? "1" : "0",
            calls.Prctl.ToString(System.Globalization.CultureInfo.InvariantCulture), calls.Seccomp.ToString(System.Globalization.CultureInfo.InvariantCulture)];

    /// <summary>
    /// ARGV: hex of the filter, whether to set no_new_privs first, the prctl and seccomp numbers, then
    /// the command. struct sock_fprog is { u16 len; (6 bytes padding); struct sock_filter *filter }.
    /// </summary>
    private const string PerlInstaller =
        "my ($f, $nnp, $prctl, $seccomp) = splice(@ARGV, 0, 4); $f = pack('H*', $f);"
        + " if ($nnp) { syscall(0 + $prctl, 38, 1, 0, 0, 0) == 0 or die \"sandbox: no_new_privs: $!\\n\" }"
        + " my $prog = pack('S x6 P', length($f) / 8, $f);"
        + " syscall(0 + $seccomp, 1, 0, $prog) == 0 or die \"sandbox: seccomp: $!\\n\";"
        + " exec { $ARGV[0] } @ARGV or die \"sandbox: cannot run $ARGV[0]: $!\\n\";";

    /// <summary>
    /// Also blocked for exec loops: leaving the process group (a loop is a step, not a service; its
    /// whole group is killed when the call ends or times out).
    /// </summary>
    public static readonly IReadOnlyList<string> LoopExtraBlocked = ["setsid", "setpgid"];

    private const uint AuditArchX8664 = 0xc000003e;
    private const uint AuditArchAarch64 = 0xc00000b7;
    private const uint X32SyscallBit = 0x40000000;
    private const uint RetAllow = 0x7fff0000;
    private const uint RetErrnoEperm = 0x00050000 | 1;
    private const uint RetKillProcess = 0x80000000;

    private static readonly Dictionary<string, int> X8664 = new(StringComparer.Ordinal)
    {
        ["acct"] = 163, ["add_key"] = 248, ["bpf"] = 321, ["clock_adjtime"] = 305, ["clock_settime"] = 227, ["create_module"] = 174,
        ["delete_module"] = 176, ["finit_module"] = 313, ["get_kernel_syms"] = 177, ["get_mempolicy"] = 239, ["init_module"] = 175,
        ["ioperm"] = 173, ["iopl"] = 172, ["kcmp"] = 312, ["kexec_file_load"] = 320, ["kexec_load"] = 246, ["keyctl"] = 250,
        ["lookup_dcookie"] = 212, ["mbind"] = 237, ["mount"] = 165, ["move_mount"] = 429, ["move_pages"] = 279,
        ["name_to_handle_at"] = 303, ["nfsservctl"] = 180, ["open_by_handle_at"] = 304, ["open_tree"] = 428,
        ["perf_event_open"] = 298, ["personality"] = 135, ["pivot_root"] = 155, ["process_vm_readv"] = 310,
        ["process_vm_writev"] = 311, ["ptrace"] = 101, ["query_module"] = 178, ["quotactl"] = 179, ["reboot"] = 169,
        ["request_key"] = 249, ["set_mempolicy"] = 238, ["setns"] = 308, ["settimeofday"] = 164, ["swapoff"] = 168,
        ["swapon"] = 167, ["sysfs"] = 139, ["_sysctl"] = 156, ["umount2"] = 166, ["unshare"] = 272, ["uselib"] = 134,
        ["userfaultfd"] = 323, ["ustat"] = 136, ["fsconfig"] = 431, ["fsmount"] = 432, ["fsopen"] = 430, ["fspick"] = 433,
        ["setsid"] = 112, ["setpgid"] = 109,
    };

    private static readonly Dictionary<string, int> Aarch64 = new(StringComparer.Ordinal)
    {
        ["acct"] = 89, ["add_key"] = 217, ["bpf"] = 280, ["clock_adjtime"] = 266, ["clock_settime"] = 112, ["delete_module"] = 106,
        ["finit_module"] = 273, ["get_mempolicy"] = 236, ["init_module"] = 105, ["kcmp"] = 272, ["kexec_file_load"] = 294,
        ["kexec_load"] = 104, ["keyctl"] = 219, ["lookup_dcookie"] = 18, ["mbind"] = 235, ["mount"] = 40, ["move_mount"] = 429,
        ["move_pages"] = 239, ["name_to_handle_at"] = 264, ["nfsservctl"] = 42, ["open_by_handle_at"] = 265, ["open_tree"] = 428,
        ["perf_event_open"] = 241, ["personality"] = 92, ["pivot_root"] = 41, ["process_vm_readv"] = 270,
        ["process_vm_writev"] = 271, ["ptrace"] = 117, ["quotactl"] = 60, ["reboot"] = 142, ["request_key"] = 218,
        ["set_mempolicy"] = 237, ["setns"] = 268, ["settimeofday"] = 170, ["swapoff"] = 225, ["swapon"] = 224,
        ["umount2"] = 39, ["unshare"] = 97, ["userfaultfd"] = 282, ["fsconfig"] = 431, ["fsmount"] = 432, ["fsopen"] = 430,
        ["fspick"] = 433, ["setsid"] = 157, ["setpgid"] = 154,
    };

    /// <summary>The system call numbers of prctl and seccomp on this machine, for the launcher that installs the filter.</summary>
    public static (int Prctl, int Seccomp)? Calls => RuntimeInformation.ProcessArchitecture switch
    {
        Architecture.X64 => (157, 317),
        Architecture.Arm64 => (167, 277),
        _ => null,
    };

    /// <summary>
    /// The filter for this machine's architecture as <c>struct sock_filter</c> bytes, or null on an
    /// architecture it has no table for (the caller refuses to run unconfined by accident).
    /// </summary>
    public static byte[]? Build(IEnumerable<string> blocked)
    {
        var (arch, table) = RuntimeInformation.ProcessArchitecture switch
        {
            Architecture.X64 => (AuditArchX8664, X8664),
            Architecture.Arm64 => (AuditArchAarch64, Aarch64),
            _ => (0u, (Dictionary<string, int>?)null),
        };
        if (table is null)
        {
            return null;
        }

        var numbers = blocked.Where(table.ContainsKey).Select(n => (uint)table[n]).Distinct().ToList();
        var program = new List<(ushort Code, byte Jt, byte Jf, uint K)>();
        const ushort ldAbs = 0x20, jeq = 0x15, jge = 0x35, ret = 0x06;

        // [0] arch; foreign architectures are killed. Then [1] the number, compared with each blocked one.
        // Jumps count instructions skipped: the checks are followed by "allow", "EPERM", "kill".
        var checks = numbers.Count + (arch == AuditArchX8664 ? 1 : 0);
        var toErrno = checks; // from the first check: skip the other checks and "allow"
        program.Add((ldAbs, 0, 0, 4));
        program.Add((jeq, 0, (byte)(checks + 3), arch)); // mismatch: skip the load, the checks, "allow" and "EPERM"
        program.Add((ldAbs, 0, 0, 0));
        if (arch == AuditArchX8664)
        {
            program.Add((jge, (byte)toErrno, 0, X32SyscallBit)); // x32 entry points: EPERM
            toErrno--;
        }

        foreach (var number in numbers)
        {
            program.Add((jeq, (byte)toErrno, 0, number));
            toErrno--;
        }

        program.Add((ret, 0, 0, RetAllow));
        program.Add((ret, 0, 0, RetErrnoEperm));
        program.Add((ret, 0, 0, RetKillProcess));

        var bytes = new byte[program.Count * 8];
        for (var i = 0; i < program.Count; i++)
        {
            var (code, jt, jf, k) = program[i];
            BitConverter.TryWriteBytes(bytes.AsSpan(i * 8), code);
            bytes[(i * 8) + 2] = jt;
            bytes[(i * 8) + 3] = jf;
            BitConverter.TryWriteBytes(bytes.AsSpan((i * 8) + 4), k);
        }

        return bytes;
    }
}
