using GitOrch.Agent.Network;

namespace GitOrch.Agent.Runtimes;

/// <summary>
/// The oci driver's use of the node's pod network (<see cref="NodeNetworking"/>): one network
/// namespace per pod, shared by its containers, set up before the first starts and removed when
/// the last stops. A pod without an address (or with hostNetwork) gets none; where the machine has
/// no iproute2, the pod gets an empty namespace (loopback only).
/// </summary>
public static class NetworkNamespace
{
    /// <summary>The namespace path for the container to join, or null for a fresh (or the host's) one.</summary>
    public static async Task<string?> SetUpAsync(NodeNetworking network, ContainerLaunch launch, CancellationToken ct)
    {
        if (launch.Spec.Security?.HostNetwork == true || launch.PodIP is null || !NodeNetworking.Available)
        {
            return null;
        }

        return await network.SetUpPodAsync(launch.Pod, launch.PodIP, ct);
    }

    /// <summary>Removes the pod's network once no container of the pod runs in it any more.</summary>
    public static async Task TearDownAsync(NodeNetworking network, string pod, CancellationToken ct)
    {
        if (!await network.InUseAsync(pod, ct))
        {
            await network.TearDownPodAsync(pod, ct);
        }
    }

    /// <summary>The named network namespace a running container is in (<c>ip netns identify</c> of its init), or null.</summary>
    public static async Task<string?> OfContainerAsync(string id, CancellationToken ct)
    {
        if (id.Length == 0 || await RuncDriver.InitPidAsync(id, ct) is not int pid)
        {
            return null;
        }

        var (code, output, _) = await HostCommands.RunAsync("ip", ["netns", "identify", pid.ToString(System.Globalization.CultureInfo.InvariantCulture)], ct);
        return code == 0 && output.Trim().StartsWith("gitorch-", StringComparison.Ordinal) ? output.Trim() : null;
    }
}
