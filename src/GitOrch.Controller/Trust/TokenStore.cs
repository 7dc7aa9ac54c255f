using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using GitOrch.Storage;
using Microsoft.Data.Sqlite;

namespace GitOrch.Controller.Trust;

/// <summary>
/// Bearer tokens and node join tokens, in <c>STATE/trust.db</c>. A token is a random 256-bit
/// secret; only its SHA-256 is stored, with its name, role, expiry and revocation.
/// </summary>
public sealed class TokenStore : IDisposable
{
    public const string FileName = "trust.db";

    public const string ApiKind = "api";

    public const string JoinKind = "join";

    public const string JoinRole = "join";

    private readonly SqliteConnection _db;
    private readonly Lock _gate = new();
    private readonly TimeProvider _time;

    public TokenStore(string stateDir, TimeProvider time, GitOrch.Core.State.IStateJournal? journal = null)
    {
        _time = time;
        var path = Path.Combine(stateDir, FileName);
        _db = SqliteDb.OpenDurable(path); // 0600, with its -wal and -shm

        _db.Exec("""
            CREATE TABLE IF NOT EXISTS tokens(
              name TEXT PRIMARY KEY, kind TEXT NOT NULL, role TEXT NOT NULL, hash TEXT NOT NULL UNIQUE,
              created_at TEXT NOT NULL, expires_at TEXT, revoked_at TEXT, created_by TEXT NOT NULL);
            CREATE TABLE IF NOT EXISTS node_certificates(id INTEGER PRIMARY KEY, serial TEXT NOT NULL UNIQUE, node TEXT NOT NULL, issued_at TEXT NOT NULL);
            CREATE TABLE IF NOT EXISTS node_revocations(node TEXT PRIMARY KEY, revoked_at TEXT NOT NULL, revoked_by TEXT NOT NULL, last_certificate INTEGER NOT NULL);
            """);
        if (journal is not null)
        {
            SqliteJournal.Attach(_db, journal, FileName);
        }
    }

    /// <summary>Creates a token and returns its secret (shown once). A name in use by a live token is refused.</summary>
    public string Create(string name, string kind, string role, TimeSpan? ttl, string createdBy, string? secret = null)
    {
        secret ??= NewSecret();
        var now = _time.GetUtcNow();
        lock (_gate)
        {
            using var tx = _db.BeginTransaction();
            using (var existing = _db.Command("SELECT revoked_at, expires_at FROM tokens WHERE name=$n", tx, ("$n", name)))
            using (var reader = existing.ExecuteReader())
            {
                if (reader.Read() && reader.IsDBNull(0) && (reader.IsDBNull(1) || Parse(reader.GetString(1)) > now))
                {
                    throw new InvalidOperationException($"a token named {name} exists; revoke it first (gitorch token revoke {name}) or choose another --name");
                }
            }

            using var write = _db.Command("""
                INSERT INTO tokens(name, kind, role, hash, created_at, expires_at, revoked_at, created_by) VALUES($n,$k,$r,$h,$c,$e,NULL,$b)
                ON CONFLICT(name) DO UPDATE SET kind=excluded.kind, role=excluded.role, hash=excluded.hash, created_at=excluded.created_at,
                  expires_at=excluded.expires_at, revoked_at=NULL, created_by=excluded.created_by
                """, tx, ("$n", name), ("$k", kind), ("$r", role), ("$h", Hash(secret)), ("$c", Format(now)), ("$e", ttl is { } t ? Format(now + t) : null), ("$b", createdBy));
            write.ExecuteNonQuery();
            tx.CommitDurably();
        }

        return secret;
    }

    /// <summary>Checks a presented secret of the given kind: unknown, expired and revoked tokens are refused, saying what to do.</summary>
    public TokenCheck Check(string secret, string kind)
    {
        TokenRecord? token;
        lock (_gate)
        {
            using var cmd = _db.Command("SELECT name, kind, role, created_at, expires_at, revoked_at, created_by FROM tokens WHERE hash=$h", null, ("$h", Hash(secret)));
            using var reader = cmd.ExecuteReader();
            token = reader.Read() ? Read(reader) : null;
        }

        var fix = kind == JoinKind ? "get a new one with `gitorch node token`" : "ask an admin for a new one with `gitorch token create`";
        if (token is null || token.Kind != kind)
        {
            return new TokenCheck(null, $"the token is not known to this cluster; {fix}");
        }

        if (token.RevokedAt is { } revoked)
        {
            return new TokenCheck(null, $"the token {token.Name} was revoked at {revoked:u}; {fix}");
        }

        if (token.ExpiresAt is { } expires && expires <= _time.GetUtcNow())
        {
            return new TokenCheck(null, $"the token {token.Name} expired at {expires:u}; {fix}");
        }

        return new TokenCheck(token, null);
    }

    public IReadOnlyList<TokenRecord> List()
    {
        lock (_gate)
        {
            using var cmd = _db.Command("SELECT name, kind, role, created_at, expires_at, revoked_at, created_by FROM tokens ORDER BY created_at, name", null);
            using var reader = cmd.ExecuteReader();
            var tokens = new List<TokenRecord>();
            while (reader.Read())
            {
                tokens.Add(Read(reader));
            }

            return tokens;
        }
    }

    /// <summary>Revokes a token by name; false when there is no such token.</summary>
    public bool Revoke(string name)
    {
        lock (_gate)
        {
            using var tx = _db.BeginTransaction();
            using var cmd = _db.Command("UPDATE tokens SET revoked_at = COALESCE(revoked_at, $t) WHERE name=$n", tx, ("$n", name), ("$t", Format(_time.GetUtcNow())));
            var found = cmd.ExecuteNonQuery() > 0;
            tx.CommitDurably();
            return found;
        }
    }

    /// <summary>Records a node certificate the CA issued (a join), so that revoking its node can spare certificates issued later.</summary>
    public void RecordNodeCertificate(string serial, string node)
    {
        lock (_gate)
        {
            using var tx = _db.BeginTransaction();
            using var cmd = _db.Command("INSERT INTO node_certificates(serial, node, issued_at) VALUES($s, $n, $t) ON CONFLICT(serial) DO NOTHING", tx,
                ("$s", serial), ("$n", node), ("$t", Format(_time.GetUtcNow())));
            cmd.ExecuteNonQuery();
            tx.CommitDurably();
        }
    }

    /// <summary>
    /// Revokes every certificate of a node issued until now: they are refused from the next call
    /// on. The node joins again with a new join token (its new certificate is recorded later, so it
    /// passes). Returns how many recorded certificates this shuts out.
    /// </summary>
    public int RevokeNode(string node, string revokedBy)
    {
        lock (_gate)
        {
            using var tx = _db.BeginTransaction();
            var now = Format(_time.GetUtcNow());
            // Certificates recorded up to now (by their row, not by a clock) are shut out; later joins pass.
            using (var cmd = _db.Command("""
                INSERT INTO node_revocations(node, revoked_at, revoked_by, last_certificate) VALUES($n, $t, $b, (SELECT COALESCE(MAX(id), 0) FROM node_certificates))
                ON CONFLICT(node) DO UPDATE SET revoked_at = excluded.revoked_at, revoked_by = excluded.revoked_by, last_certificate = excluded.last_certificate
                """, tx, ("$n", node), ("$t", now), ("$b", revokedBy)))
            {
                cmd.ExecuteNonQuery();
            }

            using var count = _db.Command("SELECT COUNT(*) FROM node_certificates WHERE node = $n", tx, ("$n", node));
            var n = (int)(long)count.ExecuteScalar()!;
            tx.CommitDurably();
            return n;
        }
    }

    /// <summary>Whether a join ever issued a certificate for <paramref name="node"/>.</summary>
    public bool HasNodeCertificates(string node)
    {
        lock (_gate)
        {
            using var cmd = _db.Command("SELECT 1 FROM node_certificates WHERE node = $n LIMIT 1", null, ("$n", node));
            return cmd.ExecuteScalar() is not null;
        }
    }

    /// <summary>
    /// Why a node certificate is refused, or null: its node was revoked, and the certificate was
    /// not issued (recorded) after that revocation.
    /// </summary>
    public string? NodeCertificateRefusal(string serial, string node)
    {
        lock (_gate)
        {
            using var revoked = _db.Command("SELECT revoked_at, last_certificate FROM node_revocations WHERE node = $n", null, ("$n", node));
            string at;
            long last;
            using (var reader = revoked.ExecuteReader())
            {
                if (!reader.Read())
                {
                    return null;
                }

                (at, last) = (reader.GetString(0), reader.GetInt64(1));
            }

            using var issued = _db.Command("SELECT id FROM node_certificates WHERE serial = $s AND node = $n", null, ("$s", serial), ("$n", node));
            if (issued.ExecuteScalar() is long row && row > last)
            {
                return null; // Issued by a join after the revocation.
            }

            return $"the certificates of node {node} were revoked at {Parse(at):u}; join the node again with a new join token (gitorch node token)";
        }
    }

    /// <summary>A free name with this prefix (<c>join-1</c>, <c>join-2</c>, …).</summary>
    public string NextName(string prefix)
    {
        var names = List().Select(t => t.Name).ToHashSet(StringComparer.Ordinal);
        for (var i = 1; ; i++)
        {
            var name = string.Create(CultureInfo.InvariantCulture, $"{prefix}-{i}");
            if (!names.Contains(name))
            {
                return name;
            }
        }
    }

    public static string NewSecret() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static string Hash(string secret) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(secret)));

    private static TokenRecord Read(SqliteDataReader r) =>
        new(r.GetString(0), r.GetString(1), r.GetString(2), Parse(r.GetString(3)), r.IsDBNull(4) ? null : Parse(r.GetString(4)), r.IsDBNull(5) ? null : Parse(r.GetString(5)), r.GetString(6));

    private static string Format(DateTimeOffset t) => t.UtcDateTime.ToString("O", CultureInfo.InvariantCulture);

    private static DateTimeOffset Parse(string text) => DateTimeOffset.Parse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);

    public void Dispose() => _db.Dispose();
}
