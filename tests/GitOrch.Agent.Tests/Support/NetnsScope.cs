namespace GitOrch.Agent.Tests.Support;

/// <summary>
/// Network namespaces a test creates (unique names, "gt" and 8 hex digits), with helpers to wire
/// them; disposing deletes every one (and with them their veths, addresses and routes).
/// </summary>
internal sealed class NetnsScope : IAsyncDisposable
{
    private readonly List<string> _namespaces = [];
    private readonly List<System.Diagnostics.Process> _processes = [];
    private readonly string _id = Guid.NewGuid().ToString("N")[..6];

    /// <summary>Creates a namespace with its loopback up.</summary>
    public string Create(string role)
    {
        var name = $"gt{_id}{role}";
        Shell.Run("ip", "netns", "add", name);
        _namespaces.Add(name);
        Shell.Run("ip", "-n", name, "link", "set", "lo", "up");
        return name;
    }

    /// <summary>A veth pair between two namespaces, each end up with the given addresses (CIDR).</summary>
    public void Link(string a, string b, string[] addressesA, string[] addressesB)
    {
        var ea = $"u{_id}{a[^1]}";
        var eb = $"u{_id}{b[^1]}";
        Shell.Run("ip", "link", "add", ea, "netns", a, "type", "veth", "peer", "name", eb, "netns", b);
        foreach (var (ns, dev, addresses) in new[] { (a, ea, addressesA), (b, eb, addressesB) })
        {
            foreach (var address in addresses)
            {
                Shell.Run("ip", "-n", ns, "addr", "add", address, "dev", dev, "nodad");
            }

            Shell.Run("ip", "-n", ns, "link", "set", dev, "up");
        }
    }

    /// <summary>Runs a program inside a namespace (<c>ip netns exec</c>).</summary>
    public static (int Code, string Output, string Error) Exec(string ns, params string[] command) =>
        Shell.TryRun(null, "ip", ["netns", "exec", ns, .. command]);

    /// <summary>Starts a long-running program inside a namespace; it is killed at cleanup.</summary>
    public void Start(string ns, params string[] command)
    {
        var info = new System.Diagnostics.ProcessStartInfo("ip") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in (string[])["netns", "exec", ns, .. command])
        {
            info.ArgumentList.Add(arg);
        }

        _processes.Add(System.Diagnostics.Process.Start(info)!);
    }

    public ValueTask DisposeAsync()
    {
        foreach (var process in _processes)
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
            process.Dispose();
        }

        foreach (var ns in _namespaces)
        {
            Shell.TryRun(null, "ip", "netns", "delete", ns);
        }

        return ValueTask.CompletedTask;
    }
}
