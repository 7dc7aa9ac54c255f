using GitOrch.Core.Manifests;
using GitOrch.Workflow.Loops;
using GitOrch.Workflow.Tests.Support;

namespace GitOrch.Workflow.Tests.Loops;

/// <summary>
/// The exec loop sandbox, seen from inside a real loop process: who it runs as, what it can do,
/// what it sees of the controller, and what it leaves behind.
/// </summary>
public sealed class ExecSandboxTests : IDisposable
{
    private static readonly Dictionary<string, string> LoopEnv = new() { ["GREETING"] = "hello" };

    private readonly TempFolder _folder = new("gitorch-sandbox-", openToAll: true);
    private readonly Invocations _invocations = new();

    public void Dispose() => _folder.Dispose();

    private Task<(int ExitCode, string Stdout)> RunAsync(string script, ExecSandbox? sandbox = null, CancellationToken ct = default) =>
        ExecLoop.RunAsync(["/bin/sh", "-c", script], LoopEnv, "{}", _invocations.Create(), sandbox ?? ExecSandbox.Default, ct);

    private static Dictionary<string, string> Status(string text) =>
        text.Split('\n').Where(l => l.Contains(':', StringComparison.Ordinal))
            .Select(l => l.Split(':', 2)).GroupBy(p => p[0].Trim()).ToDictionary(g => g.Key, g => g.First()[1].Trim());

    [RootFact]
    public async Task ALoop_RunsAsNobody_WithNoCapabilities_NoNewPrivs_Seccomp_AndNoneOfTheControllersEnvironment()
    {
        Environment.SetEnvironmentVariable("GITHUB_TOKEN", "ghp_controller_secret");
        Environment.SetEnvironmentVariable("GITORCH_WEBHOOK_SECRET", "webhook_secret");
        try
        {
            var (exit, stdout) = await RunAsync("id; echo ---; env; echo ---; cat /proc/self/status; echo ---; pwd; ls -A");

            Assert.Equal(0, exit);
            var parts = stdout.Split("---\n");
            Assert.Equal("uid=65534(nobody) gid=65534(nogroup) groups=65534(nogroup)", parts[0].Trim());

            var env = parts[1].Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split('=', 2)[0]).Where(k => k is not ("PWD" or "SHLVL" or "_")).Order().ToList();
            Assert.Equal(["GREETING", "HOME", "PATH"], env);
            Assert.DoesNotContain("ghp_controller_secret", stdout, StringComparison.Ordinal);
            Assert.DoesNotContain("webhook_secret", stdout, StringComparison.Ordinal);

            var status = Status(parts[2]);
            Assert.Equal("0000000000000000", status["CapEff"]);
            Assert.Equal("0000000000000000", status["CapPrm"]);
            Assert.Equal("0000000000000000", status["CapBnd"]);
            Assert.Equal("0000000000000000", status["CapAmb"]);
            Assert.Equal("1", status["NoNewPrivs"]);
            Assert.Equal("2", status["Seccomp"]);

            var lines = parts[3].Split('\n', StringSplitOptions.RemoveEmptyEntries);
            var home = Assert.Single(lines); // the working folder is empty
            Assert.StartsWith(Path.GetTempPath().TrimEnd('/') + "/gitorch-loop-", home, StringComparison.Ordinal);
            Assert.Contains($"HOME={home}", parts[1], StringComparison.Ordinal);
            Assert.False(Directory.Exists(home), "the working folder is removed after the call");
        }
        finally
        {
            Environment.SetEnvironmentVariable("GITHUB_TOKEN", null);
            Environment.SetEnvironmentVariable("GITORCH_WEBHOOK_SECRET", null);
        }
    }

    [RootFact]
    public async Task ALoop_CannotUseBlockedSystemCalls_NorLeaveItsProcessGroup()
    {
        // unshare(2) and setsid(2) fail with EPERM under the filter (not only for lack of capabilities).
        var (exit, stdout) = await RunAsync("unshare --user true 2>&1; echo \"unshare=$?\"; setsid true 2>&1; echo \"setsid=$?\"");

        Assert.Equal(0, exit);
        Assert.Contains("unshare=1", stdout, StringComparison.Ordinal);
        Assert.Contains("Operation not permitted", stdout, StringComparison.Ordinal);
        Assert.Contains("setsid=1", stdout, StringComparison.Ordinal);
    }

    [RootFact]
    public async Task EachCall_GetsAFreshFolder_AndWhatALoopLeavesIsRemoved_WithoutFollowingItsLinks()
    {
        var outside = _folder.File("outside");
        Directory.CreateDirectory(outside);
        await File.WriteAllTextAsync(Path.Combine(outside, "keep"), "kept");
        var (_, first) = await RunAsync($"pwd; echo data > file; ln -s '{outside}' link; ls -A");
        var (_, second) = await RunAsync("pwd; ls -A");

        var firstHome = first.Split('\n')[0];
        var secondHome = second.Split('\n')[0];
        Assert.NotEqual(firstHome, secondHome);
        Assert.Equal([secondHome], second.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.False(Directory.Exists(firstHome));
        Assert.Equal("kept", await File.ReadAllTextAsync(Path.Combine(outside, "keep")));
    }

    [RootFact]
    public async Task WhatTheLoopStartsInTheBackground_EndsWithTheCall()
    {
        var pidFile = _folder.File("bg-pid");
        var (exit, _) = await RunAsync($"sleep 600 >/dev/null 2>&1 & echo $! > '{pidFile}'; exit 0");

        Assert.Equal(0, exit);
        var pid = await Processes.PidFromAsync(pidFile);
        await Wait.UntilAsync(() => !Processes.IsRunning(pid), $"the loop's background process {pid} is gone");
    }

    [RootFact]
    public async Task ASecurityBlock_WeakensOnlyWhatItNames()
    {
        var sandbox = ExecSandbox.From(new PodSecurity { RunAsUser = 0, Capabilities = ["NET_ADMIN"] });

        var (exit, stdout) = await RunAsync("id -u; grep -E '^(CapEff|NoNewPrivs|Seccomp):' /proc/self/status", sandbox);

        Assert.Equal(0, exit);
        var lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("0", lines[0]);
        var status = Status(string.Join('\n', lines.Skip(1)));
        Assert.Equal("0000000000001000", status["CapEff"]); // CAP_NET_ADMIN (12) only
        Assert.Equal("1", status["NoNewPrivs"]);
        Assert.Equal("2", status["Seccomp"]);
    }

    [RootFact]
    public async Task SeccompUnconfined_AndPrivilegeEscalation_AreHonouredWhenAsked()
    {
        var sandbox = ExecSandbox.From(new PodSecurity { Seccomp = SeccompMode.Unconfined, AllowPrivilegeEscalation = true });

        var (_, stdout) = await RunAsync("id -u; grep -E '^(NoNewPrivs|Seccomp):' /proc/self/status", sandbox);

        var status = Status(stdout);
        Assert.Equal("65534", stdout.Split('\n')[0]);
        Assert.Equal(("0", "0"), (status["NoNewPrivs"], status["Seccomp"]));
    }
}
