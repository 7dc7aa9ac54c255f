using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using GitOrch.Contracts.Trust;

namespace GitOrch.EndToEnd.Tests.Support;

/// <summary>Credentials of a cluster that is not the one under test: a CA of its own (self-signed, fresh) and a made-up token.</summary>
internal static class OtherCluster
{
    public static string WriteCredentials(string path, string server)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=another cluster's CA", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        using var ca = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        new ClusterCredentials { Server = server, CaCertificate = ca.ExportCertificatePem(), Token = "not-a-token-of-this-cluster" }.Save(path);
        return path;
    }
}
