using System.Diagnostics;

namespace GitOrch.Agent.Network;

/// <summary>
/// Runs the node's network tools (<c>ip</c>, <c>sysctl</c>, <c>iptables</c>, <c>ping</c>) in the
/// node's network namespace: the agent's own, or a named one (<c>agent --netns</c>), where
/// <c>ip -n NAME</c> and <c>ip netns exec NAME</c> carry every command.
/// </summary>
public sealed class HostCommands(string? hostNamespace)
{
    /// <summary>The named namespace the node's network lives in; null for the agent's own.</summary>
    public string? Namespace { get; } = hostNamespace;

    public static bool IpAvailable => new[] { "/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip" }.Any(File.Exists);

    /// <summary><c>ip ARGS</c> in the node's namespace.</summary>
    public Task<(int Code, string Output, string Error)> IpAsync(IReadOnlyList<string> args, CancellationToken ct) =>
        RunAsync("ip", Namespace is null ? args : ["-n", Namespace, .. args], ct);

    /// <summary><c>ip ARGS</c> in a pod's namespace.</summary>
    public static Task<(int Code, string Output, string Error)> PodIpAsync(string podNamespace, IReadOnlyList<string> args, CancellationToken ct) =>
        RunAsync("ip", ["-n", podNamespace, .. args], ct);

    /// <summary>Any program in the node's namespace.</summary>
    public Task<(int Code, string Output, string Error)> ExecAsync(string program, IReadOnlyList<string> args, CancellationToken ct) =>
        Namespace is null ? RunAsync(program, args, ct) : RunAsync("ip", ["netns", "exec", Namespace, program, .. args], ct);

    /// <summary>Runs <paramref name="program"/> and returns its exit code and output; a missing program is exit -1 with the reason.</summary>
    public static async Task<(int Code, string Output, string Error)> RunAsync(string program, IReadOnlyList<string> args, CancellationToken ct)
    {
        var info = new ProcessStartInfo(program) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        try
        {
            using var process = Process.Start(info)!;
            var error = process.StandardError.ReadToEndAsync(ct);
            var output = await process.StandardOutput.ReadToEndAsync(ct);
            await process.WaitForExitAsync(ct);
            return (process.ExitCode, output, (await error).Trim());
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            return (-1, string.Empty, $"{program}: {ex.Message}");
        }
    }
}
