using System.Security.Cryptography;
using System.Text;

namespace GitOrch.Controller.Ui.Auth;

/// <summary>
/// Login codes and browser sessions of the web view, in memory (a restart logs everyone out:
/// <c>gitorch ui</c> again). A code is single-use and short-lived; redeeming it opens a session
/// for the identity that minted it. Only hashes of codes and session tokens are kept, and both
/// tables are bounded so that no caller can grow them without limit.
/// </summary>
public sealed class UiSessions(TimeProvider time)
{
    public static readonly TimeSpan CodeLifetime = TimeSpan.FromMinutes(2);
    public static readonly TimeSpan SessionLifetime = TimeSpan.FromHours(12);
    internal const int MaxCodes = 1000;
    internal const int MaxSessions = 10_000;

    private readonly Dictionary<string, UiSession> _codes = new(StringComparer.Ordinal);
    private readonly Dictionary<string, UiSession> _sessions = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();

    /// <summary>A new single-use code for <paramref name="identity"/>, valid for <see cref="CodeLifetime"/>.</summary>
    public LoginCode Mint(UiIdentity identity)
    {
        var code = NewSecret();
        var expires = time.GetUtcNow() + CodeLifetime;
        lock (_gate)
        {
            Evict(_codes, MaxCodes);
            _codes[Hash(code)] = new UiSession(identity, expires);
        }

        return new LoginCode(code, expires);
    }

    /// <summary>
    /// Trades a code for a session token. Null when the code is unknown, already used or expired;
    /// a code works once, whatever the outcome.
    /// </summary>
    public (string Token, UiSession Session)? Redeem(string? code)
    {
        if (string.IsNullOrEmpty(code) || code.Length > 128)
        {
            return null;
        }

        var now = time.GetUtcNow();
        lock (_gate)
        {
            if (!_codes.Remove(Hash(code), out var minted) || minted.ExpiresAt <= now)
            {
                return null;
            }

            Evict(_sessions, MaxSessions);
            var token = NewSecret();
            var session = new UiSession(minted.Identity, now + SessionLifetime);
            _sessions[Hash(token)] = session;
            return (token, session);
        }
    }

    /// <summary>The live session a cookie names, or null.</summary>
    public UiSession? Find(string? token)
    {
        if (string.IsNullOrEmpty(token) || token.Length > 128)
        {
            return null;
        }

        lock (_gate)
        {
            var key = Hash(token);
            if (!_sessions.TryGetValue(key, out var session))
            {
                return null;
            }

            if (session.ExpiresAt <= time.GetUtcNow())
            {
                _sessions.Remove(key);
                return null;
            }

            return session;
        }
    }

    /// <summary>Ends a session (log out).</summary>
    public void End(string? token)
    {
        if (!string.IsNullOrEmpty(token))
        {
            lock (_gate)
            {
                _sessions.Remove(Hash(token));
            }
        }
    }

    private void Evict(Dictionary<string, UiSession> table, int max)
    {
        var now = time.GetUtcNow();
        foreach (var expired in table.Where(e => e.Value.ExpiresAt <= now).Select(e => e.Key).ToList())
        {
            table.Remove(expired);
        }

        // Still full: the oldest give way (they expire first).
        foreach (var oldest in table.OrderBy(e => e.Value.ExpiresAt).Take(table.Count - max + 1).Select(e => e.Key).ToList())
        {
            table.Remove(oldest);
        }
    }

    private static string NewSecret() => Base64Url(RandomNumberGenerator.GetBytes(32));

    private static string Hash(string secret) => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(secret)));

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
