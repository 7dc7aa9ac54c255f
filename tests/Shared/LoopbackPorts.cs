using System.Net;
using System.Net.Sockets;

namespace GitOrch.Tests.Shared;

/// <summary>Loopback ports for the processes a test starts, one place for the whole test run.</summary>
internal static class LoopbackPorts
{
    private static readonly HashSet<int> HandedOut = [];

    /// <summary>
    /// A loopback port free now and not handed out before in this run: the kernel may give the same
    /// free port twice in a row, and a process that keeps its port across restarts (a replica, an
    /// etcd member) must not meet another that was given it meanwhile.
    /// </summary>
    public static int Free()
    {
        while (true)
        {
            using var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            var port = ((IPEndPoint)listener.LocalEndpoint).Port;
            lock (HandedOut)
            {
                if (HandedOut.Add(port))
                {
                    return port;
                }
            }
        }
    }
}
