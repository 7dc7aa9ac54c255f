using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using GitOrch.Contracts.Trust;
using GitOrch.Controller.Trust;

namespace GitOrch.Controller.Replication;

/// <summary>
/// The admin credentials each replica writes to <c>STATE/admin.credentials</c> for its local user.
/// A follower cannot write a token, so each replica's admin token (<c>admin-NAME</c>) has a secret
/// derived from the cluster CA's private key (which every replica holds, and nobody else): the
/// leader creates the token for every replica it sees (once: a token that was revoked is never
/// created again), and a follower's file works from then on. Revoking <c>admin-NAME</c> locks that
/// replica's file out for good; give its user another token (<c>gitorch token create</c>), or
/// rotate the CA, which changes every such secret.
/// </summary>
public static class ReplicaAdmin
{
    public static string Secret(ClusterPki pki, string replica)
    {
        using var key = pki.Ca.GetECDsaPrivateKey() ?? throw new InvalidOperationException("the cluster CA has no private key here");
        var mac = HMACSHA256.HashData(key.ExportPkcs8PrivateKey(), Encoding.UTF8.GetBytes("gitorch replica admin token\n" + replica));
        return Convert.ToBase64String(mac).TrimEnd('=').Replace('+', '-').Replace('/', '_');
    }

    /// <summary>This replica's credentials, for the caller to write (creating its token when it leads and the token is missing).</summary>
    public static ClusterCredentials Credentials(string address, ClusterPki pki, TokenStore tokens, ReplicaContext replica)
    {
        var secret = Secret(pki, replica.Name);
        if (replica.Leads)
        {
            Ensure(tokens, pki, replica.Name);
        }

        return new ClusterCredentials { Server = address, CaCertificate = pki.CaPem, Token = secret };
    }

    /// <summary>On the leader: every replica's admin token exists with its derived secret.</summary>
    public static void Ensure(TokenStore tokens, ClusterPki pki, string replica)
    {
        var name = "admin-" + replica;
        if (tokens.List().Any(t => t.Name == name))
        {
            return; // Created already (and perhaps revoked since: a revocation stands).
        }

        tokens.Create(name, TokenStore.ApiKind, Identities.AdminRole, ttl: null, createdBy: "replica " + replica, Secret(pki, replica));
    }
}
