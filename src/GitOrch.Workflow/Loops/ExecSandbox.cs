using GitOrch.Core.Manifests;
using GitOrch.Core.Security;

namespace GitOrch.Workflow.Loops;

/// <summary>
/// How an <c>exec</c> loop is confined: like a <c>process</c> pod. By default uid and gid 65534, no
/// supplementary groups, no capabilities (bounding, inheritable and ambient sets cleared),
/// no_new_privs, and the runtime-default seccomp filter (plus <c>setsid</c>/<c>setpgid</c>, so the
/// loop cannot leave the process group that is killed when the call ends). A ControlLoop's
/// <c>spec.security</c> (validated against its <c>loops:</c> exception) weakens it field by field.
/// </summary>
public sealed record ExecSandbox
{
    public const long Nobody = 65534;

    public long Uid { get; init; } = Nobody;

    public long Gid { get; init; } = Nobody;

    /// <summary>Capabilities kept (as ambient capabilities for a non-root user), normalized ("NET_ADMIN").</summary>
    public IReadOnlyList<string> Capabilities { get; init; } = [];

    public bool NoNewPrivs { get; init; } = true;

    public bool Seccomp { get; init; } = true;

    /// <summary>Every capability and no filter: the <c>privileged</c> weakening.</summary>
    public bool Privileged { get; init; }

    public static ExecSandbox Default { get; } = new();

    /// <summary>The sandbox a loop's <c>security</c> block asks for (already admitted by validation).</summary>
    public static ExecSandbox From(PodSecurity? security)
    {
        if (security is null)
        {
            return Default;
        }

        var privileged = security.Privileged == true;
        return new ExecSandbox
        {
            Uid = security.RunAsUser ?? Nobody,
            Gid = security.RunAsGroup ?? Nobody,
            Capabilities = [.. (security.Capabilities ?? []).Select(Weakenings.NormalizeCapability).Where(Weakenings.Capabilities.Contains).Distinct()],
            NoNewPrivs = security.AllowPrivilegeEscalation != true && !privileged,
            Seccomp = security.Seccomp != SeccompMode.Unconfined && !privileged,
            Privileged = privileged,
        };
    }

    /// <summary>
    /// The programs that set the sandbox up before the loop's command, as an argv prefix: <c>setsid</c>
    /// (its own session and process group), a perl one-liner that installs the seccomp filter (perl
    /// is part of every Debian-like base system and can make the two system calls; the filter is built
    /// in <see cref="SeccompFilter"/>), then <c>setpriv</c> (user, groups, capabilities, no_new_privs).
    /// Filters survive exec, so what runs after them cannot remove them.
    /// </summary>
    internal IReadOnlyList<string> Launcher(bool runningAsRoot)
    {
        var argv = new List<string> { Tool("setsid") };
        if (Seccomp)
        {
            var filter = SeccompFilter.Build([.. SeccompFilter.RuntimeDefaultBlocked, .. SeccompFilter.LoopExtraBlocked]);
            if (filter is null || SeccompFilter.Calls is not { } calls)
            {
                throw new LoopCallException("this machine's architecture has no seccomp table; exec loops need x86_64 or arm64 (or the seccomp:unconfined exception)");
            }

            argv.AddRange(SeccompFilter.Installer(Tool("perl"), filter, calls, NoNewPrivs || !runningAsRoot));
        }

        if (!runningAsRoot)
        {
            // Without root there is no other user to become: the loop runs as the controller's
            // user, still with the empty environment, no_new_privs and the filter.
            if (Uid == 0 || Capabilities.Count > 0 || Privileged)
            {
                throw new LoopCallException("the loop asks for root or capabilities, but the controller does not run as root; run the controller as root or remove the request");
            }

            argv.AddRange([Tool("setpriv"), "--no-new-privs", "--"]);
            return argv;
        }

        argv.AddRange([Tool("setpriv"), $"--reuid={Uid}", $"--regid={Gid}", "--clear-groups"]);
        if (!Privileged)
        {
            var keep = string.Concat(Capabilities.Select(c => ",+" + c.ToLowerInvariant()));
            argv.Add("--inh-caps=-all" + keep);
            argv.Add("--ambient-caps=-all" + (Uid == 0 ? string.Empty : keep));
            argv.Add("--bounding-set=-all" + keep);
        }

        if (NoNewPrivs)
        {
            argv.Add("--no-new-privs");
        }

        argv.Add("--");
        return argv;
    }

    private static string Tool(string name) =>
        new[] { "/usr/bin/", "/bin/", "/usr/sbin/", "/sbin/" }.Select(d => d + name).FirstOrDefault(File.Exists)
        ?? throw new LoopCallException($"{name} is not installed; exec loops need setsid and setpriv (util-linux) and perl");
}
