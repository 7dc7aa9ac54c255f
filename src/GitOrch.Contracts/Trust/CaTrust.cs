using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace GitOrch.Contracts.Trust;

/// <summary>
/// Trust in one cluster CA and nothing else: a certificate is accepted only if it chains to that CA
/// (the system's roots play no part) and is meant for the use at hand (server or client).
/// </summary>
public static class CaTrust
{
    public const string ServerAuth = "1.3.6.1.5.5.7.3.1";

    public const string ClientAuth = "1.3.6.1.5.5.7.3.2";

    /// <summary>SHA-256 of the certificate's DER, lowercase hex (the hash in a join token).</summary>
    public static string Sha256Hex(X509Certificate2 certificate) => Convert.ToHexStringLower(SHA256.HashData(certificate.RawData));

    public static X509Certificate2 LoadPem(string pem) => X509Certificate2.CreateFromPem(pem);

    /// <summary>Whether <paramref name="certificate"/> chains to <paramref name="ca"/> and carries the extended key usage <paramref name="usage"/>.</summary>
    public static bool ChainsTo(X509Certificate2 certificate, X509Certificate2 ca, string usage, out string? why)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(ca);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.ApplicationPolicy.Add(new Oid(usage));
        if (!chain.Build(certificate))
        {
            why = string.Join("; ", chain.ChainStatus.Select(s => s.StatusInformation.Trim()).Where(s => s.Length > 0).DefaultIfEmpty("it does not chain to the cluster CA"));
            return false;
        }

        var root = chain.ChainElements[^1].Certificate;
        if (!root.RawData.AsSpan().SequenceEqual(ca.RawData))
        {
            why = "it does not chain to the cluster CA";
            return false;
        }

        why = null;
        return true;
    }

    /// <summary>A TLS callback that accepts only a server certificate issued by <paramref name="ca"/>; <paramref name="refused"/> hears why one was refused.</summary>
    public static RemoteCertificateValidationCallback ServerValidator(X509Certificate2 ca, Action<string>? refused = null) =>
        (_, certificate, _, _) =>
        {
            if (certificate is null)
            {
                refused?.Invoke("the server sent no certificate");
                return false;
            }

            using var presented = X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
            if (ChainsTo(presented, ca, ServerAuth, out var why))
            {
                return true;
            }

            refused?.Invoke($"the server's certificate ({presented.Subject}) is not from the cluster CA (sha256 {Sha256Hex(ca)}): {why}");
            return false;
        };

    /// <summary>An HTTP handler that trusts only <paramref name="ca"/> and presents <paramref name="clientCertificate"/> when given.</summary>
    public static SocketsHttpHandler Handler(X509Certificate2 ca, X509Certificate2? clientCertificate = null, Action<string>? refused = null)
    {
        var handler = new SocketsHttpHandler
        {
            SslOptions = new SslClientAuthenticationOptions { RemoteCertificateValidationCallback = ServerValidator(ca, refused) },
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
        };
        if (clientCertificate is not null)
        {
            handler.SslOptions.ClientCertificates = [clientCertificate];
        }

        return handler;
    }
}
