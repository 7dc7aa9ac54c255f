namespace GitOrch.Contracts.Replication;

/// <summary>
/// How a follower names the leader to clients, and which named leaders a client may follow. A
/// follower answers API writes with HTTP 503 and a <see cref="NotLeaderAnswer"/>, and node calls
/// with gRPC <c>FailedPrecondition</c> and the trailers below. A client follows a named leader only
/// over HTTPS: its TLS check (the cluster CA and nothing else) then decides, before any credential
/// is sent, whether the named server belongs to the cluster.
/// </summary>
public static class LeaderHint
{
    /// <summary>gRPC trailer with the leader's node endpoint (its agent URL).</summary>
    public const string AgentUrlTrailer = "gitorch-leader-agent-url";

    /// <summary>gRPC trailer with the leader's replica name.</summary>
    public const string NameTrailer = "gitorch-leader";

    /// <summary>HTTP header on a follower's refusal with the leader's API URL (the body's <c>leader</c> says the same).</summary>
    public const string ApiUrlHeader = "GitOrch-Leader";

    /// <summary>
    /// Whether a leader URL named by a replica may be tried: an absolute https URL with a host and
    /// nothing that could smuggle credentials (no user info, query or fragment). Whether the server
    /// there belongs to the cluster is for the TLS check to say.
    /// </summary>
    public static bool IsFollowable(string? url, out string? why)
    {
        if (string.IsNullOrWhiteSpace(url) || !Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Host.Length == 0)
        {
            why = $"\"{url}\" is not a URL";
            return false;
        }

        if (uri.Scheme != Uri.UriSchemeHttps)
        {
            why = $"{url} is not https (a credential is sent only over TLS to a certificate from the cluster CA)";
            return false;
        }

        if (uri.UserInfo.Length > 0 || uri.Query.Length > 0 || uri.Fragment.Length > 0)
        {
            why = $"{url} carries user info, a query or a fragment; a replica's URL is scheme, host and port";
            return false;
        }

        why = null;
        return true;
    }

    /// <summary>Two server URLs name the same server (scheme, host and port; case and a trailing slash aside).</summary>
    public static bool SameServer(string a, string b) =>
        Uri.TryCreate(a, UriKind.Absolute, out var x) && Uri.TryCreate(b, UriKind.Absolute, out var y)
        && Uri.Compare(x, y, UriComponents.SchemeAndServer, UriFormat.Unescaped, StringComparison.OrdinalIgnoreCase) == 0;
}
