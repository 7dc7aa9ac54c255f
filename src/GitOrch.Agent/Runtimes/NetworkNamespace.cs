using System.Diagnostics;

namespace GitOrch.Agent.Runtimes;

/// <summary>
/// A network namespace per pod with its IPv6 address from ipam: a veth pair, the address (/128) on
/// the pod side, a host route to it, and a default route out. Best effort: where the machine does
/// not allow it, the pod gets an empty namespace (loopback only) and the reason is logged.
/// </summary>
public static class NetworkNamespace
{
    public sealed record Result(string? Path, string? Problem);

    public static async Task<Result> SetUpAsync(string id, ContainerLaunch launch, CancellationToken ct)
    {
        if (launch.Spec.Security?.HostNetwork == true || launch.PodIP is null || !File.Exists("/usr/sbin/ip") && !File.Exists("/sbin/ip") && !File.Exists("/usr/bin/ip"))
        {
            return new Result(null, null);
        }

        var ns = Name(id);
        var host = "g" + id[^12..];
        await TearDownAsync(id, ct);
        var steps = new[]
        {
            new[] { "netns", "add", ns },
            ["link", "add", host, "type", "veth", "peer", "name", "eth0", "netns", ns],
            ["link", "set", host, "up"],
            ["-n", ns, "link", "set", "lo", "up"],
            ["-n", ns, "link", "set", "eth0", "up"],
            ["-n", ns, "-6", "addr", "add", launch.PodIP + "/128", "dev", "eth0", "nodad"],
            ["-6", "route", "replace", launch.PodIP + "/128", "dev", host],
            ["-n", ns, "-6", "route", "add", "default", "dev", "eth0"],
        };
        foreach (var step in steps)
        {
            var (code, error) = await IpAsync(step, ct);
            if (code != 0)
            {
                await TearDownAsync(id, ct);
                return new Result(null, $"ip {string.Join(' ', step)}: {error.Trim()}");
            }
        }

        return new Result(PathOf(id), null);
    }

    /// <summary>Where the namespace of container <paramref name="id"/> is mounted (<c>ip netns</c>'s folder).</summary>
    public static string PathOf(string id) => $"/var/run/netns/{Name(id)}";

    public static async Task TearDownAsync(string id, CancellationToken ct)
    {
        await IpAsync(["link", "delete", "g" + id[^12..]], ct);
        await IpAsync(["netns", "delete", Name(id)], ct);
    }

    private static string Name(string id) => id;

    private static async Task<(int Code, string Error)> IpAsync(IReadOnlyList<string> args, CancellationToken ct)
    {
        var info = new ProcessStartInfo("ip") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        try
        {
            using var process = Process.Start(info)!;
            var error = process.StandardError.ReadToEndAsync(ct);
            await process.StandardOutput.ReadToEndAsync(ct);
            await process.WaitForExitAsync(ct);
            return (process.ExitCode, await error);
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            return (-1, ex.Message);
        }
    }
}
