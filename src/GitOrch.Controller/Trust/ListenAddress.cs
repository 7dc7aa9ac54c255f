using System.Net;

namespace GitOrch.Controller.Trust;

/// <summary>An https:// listen address (<c>--listen</c>, <c>--agent-listen</c>): host and port, checked before anything binds.</summary>
public sealed record ListenAddress(string Host, int Port)
{
    public static ListenAddress Parse(string url, string flag)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Host.Length == 0 || uri.Scheme is not ("https" or "http"))
        {
            throw new ArgumentException($"{flag} \"{url}\" is not a URL; write it like https://127.0.0.1:7780");
        }

        if (uri.Scheme != "https")
        {
            throw new ArgumentException($"{flag} {url}: GitOrch serves HTTPS only (with a certificate from the cluster CA); write https://{uri.Authority}");
        }

        return new ListenAddress(uri.Host.Trim('[', ']'), uri.Port);
    }

    public bool IsWildcard => Host is "0.0.0.0" or "::" or "*" or "+";

    /// <summary>The addresses to bind: an IP literal, every loopback address for localhost, any address for a wildcard, or the host name's addresses.</summary>
    public IReadOnlyList<IPAddress> Addresses()
    {
        if (Host is "*" or "+" or "::")
        {
            return [IPAddress.IPv6Any];
        }

        if (IPAddress.TryParse(Host, out var ip))
        {
            return [ip];
        }

        if (Host.Equals("localhost", StringComparison.OrdinalIgnoreCase))
        {
            return [IPAddress.Loopback];
        }

        return Dns.GetHostAddresses(Host);
    }

    /// <summary>How a client on this machine reaches it (a wildcard becomes the loopback address).</summary>
    public string ClientUrl(int boundPort) =>
        $"https://{(IsWildcard ? "127.0.0.1" : Host.Contains(':', StringComparison.Ordinal) ? $"[{Host}]" : Host)}:{boundPort}";
}
