using System.Net;
using System.Net.Sockets;

namespace GitOrch.Core.Network;

/// <summary>
/// The cluster's pod prefix: an IPv6 ULA /48 (fd00::/8, locally assigned). Each node gets a /64 of
/// it (a 16-bit subnet id), each pod a random interface id in its node's /64.
/// </summary>
public static class PodPrefix
{
    public const string Default = "fd67:6974:6f72::/48";

    /// <summary>Parses a prefix; on failure <paramref name="problem"/> says what is wrong and what to write instead.</summary>
    public static bool TryParse(string text, out byte[] prefix, out string problem)
    {
        prefix = new byte[16];
        var slash = text.IndexOf('/', StringComparison.Ordinal);
        if (slash < 0 || !IPAddress.TryParse(text[..slash], out var address) || address.AddressFamily != AddressFamily.InterNetworkV6)
        {
            problem = $"\"{text}\" is not an IPv6 prefix; write a ULA /48 such as fd12:3456:789a::/48";
            return false;
        }

        if (text[(slash + 1)..] != "48")
        {
            problem = $"\"{text}\" is a /{text[(slash + 1)..]}; the pod prefix must be a /48 (each node gets one /64 of it), such as fd12:3456:789a::/48";
            return false;
        }

        var bytes = address.GetAddressBytes();
        if (bytes[0] != 0xfd)
        {
            problem = $"\"{text}\" is not a locally assigned ULA (fd00::/8); pick a random one such as fd{Convert.ToHexStringLower(bytes.AsSpan(1, 1))}:{Convert.ToHexStringLower(bytes.AsSpan(2, 2))}:{Convert.ToHexStringLower(bytes.AsSpan(4, 2))}::/48 (RFC 4193)";
            return false;
        }

        if (bytes.AsSpan(6).IndexOfAnyExcept((byte)0) >= 0)
        {
            problem = $"\"{text}\" sets bits past the 48th; the subnet and interface ids are the nodes' and pods'; write {new IPAddress([.. bytes.AsSpan(0, 6), .. new byte[10]])}/48";
            return false;
        }

        prefix = bytes;
        problem = string.Empty;
        return true;
    }

    /// <summary>The /64 of subnet <paramref name="index"/> (1..65535) in a /48.</summary>
    public static byte[] Subnet(byte[] prefix, int index)
    {
        var subnet = new byte[16];
        Array.Copy(prefix, subnet, 6);
        subnet[6] = (byte)(index >> 8);
        subnet[7] = (byte)index;
        return subnet;
    }

    /// <summary>"fd12:3456:789a:1::/64".</summary>
    public static string Format64(byte[] subnet) => new IPAddress([.. subnet.AsSpan(0, 8), .. new byte[8]]) + "/64";

    /// <summary>Whether <paramref name="address"/> lies in the /64 written as "x::/64".</summary>
    public static bool In64(string address, string subnet64) =>
        IPAddress.TryParse(address, out var a) && IPAddress.TryParse(subnet64.Split('/')[0], out var s)
        && a.AddressFamily == AddressFamily.InterNetworkV6 && s.AddressFamily == AddressFamily.InterNetworkV6
        && a.GetAddressBytes().AsSpan(0, 8).SequenceEqual(s.GetAddressBytes().AsSpan(0, 8));
}
