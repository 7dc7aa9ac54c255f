using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using GitOrch.Contracts.Trust;

namespace GitOrch.Controller.Trust;

/// <summary>
/// The cluster's own CA and the API's certificate, kept in <c>STATE/pki/</c> (folder 0700, files
/// 0600): <c>ca.crt</c>/<c>ca.key</c>, <c>api.crt</c>/<c>api.key</c>. Created on first start; the
/// API certificate is issued again when it lacks a name the controller now listens on. Node
/// certificates are issued from the same CA, with the node's name as their subject.
/// </summary>
public sealed class ClusterPki : IDisposable
{
    public const string FolderName = "pki";

    /// <summary>The organisation of node certificates' subjects: a certificate names a node only with it.</summary>
    public const string NodeOrganization = "gitorch-nodes";

    private static readonly TimeSpan CaLifetime = TimeSpan.FromDays(3650);
    private static readonly TimeSpan LeafLifetime = TimeSpan.FromDays(365);

    private readonly TimeProvider _time;

    private ClusterPki(X509Certificate2 ca, X509Certificate2 api, string folder, TimeProvider time)
    {
        Ca = ca;
        ApiCertificate = api;
        Folder = folder;
        _time = time;
    }

    /// <summary>The CA certificate with its private key.</summary>
    public X509Certificate2 Ca { get; }

    /// <summary>The API's (and the agent endpoint's) server certificate with its private key.</summary>
    public X509Certificate2 ApiCertificate { get; }

    public string Folder { get; }

    public string CaPem => Ca.ExportCertificatePem();

    /// <summary>SHA-256 of the CA certificate (the hash in join tokens).</summary>
    public string CaHash => CaTrust.Sha256Hex(Ca);

    /// <summary>Opens <c>STATE/pki</c>, creating the CA and the API certificate on first start.</summary>
    public static ClusterPki LoadOrCreate(string stateDir, IEnumerable<string> hostNames, TimeProvider time)
    {
        var folder = Path.Combine(stateDir, FolderName);
        Directory.CreateDirectory(stateDir); // Its mode is the state folder's business; pki/ is 0700.
        SecureFiles.CreateFolder(folder);
        var ca = LoadPair(folder, "ca") ?? CreateCa(folder, time);
        var names = Names(hostNames);
        var api = LoadPair(folder, "api");
        if (api is null || !Covers(api, names) || api.NotAfter.ToUniversalTime() < time.GetUtcNow().UtcDateTime.AddDays(30) || !CaTrust.ChainsTo(api, ca, CaTrust.ServerAuth, out _))
        {
            api?.Dispose();
            api = IssueServer(ca, names, time);
            Save(folder, "api", api);
        }

        return new ClusterPki(ca, api, folder, time);
    }

    /// <summary>Signs a node's certificate request: the subject is always <c>CN=node, O=gitorch-nodes</c>, whatever the request says; the key is the request's.</summary>
    public X509Certificate2 IssueNodeCertificate(string node, byte[] certificateRequestDer)
    {
        var request = CertificateRequest.LoadSigningRequest(certificateRequestDer, HashAlgorithmName.SHA256, CertificateRequestLoadOptions.Default);
        var leaf = new CertificateRequest(NodeSubject(node), request.PublicKey, HashAlgorithmName.SHA256);
        ClientExtensions(leaf);
        var now = _time.GetUtcNow();
        return leaf.Create(Ca, now.AddMinutes(-5), now + LeafLifetime, Serial());
    }

    /// <summary>A node certificate with a new key, for the in-process agent of <c>up</c> (no join needed: it shares the controller's trust).</summary>
    public X509Certificate2 IssueNodeCertificate(string node)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(NodeSubject(node), key, HashAlgorithmName.SHA256);
        using var cert = IssueNodeCertificate(node, request.CreateSigningRequest());
        return cert.CopyWithPrivateKey(key);
    }

    public static X500DistinguishedName NodeSubject(string node)
    {
        var builder = new X500DistinguishedNameBuilder();
        builder.AddOrganizationName(NodeOrganization);
        builder.AddCommonName(node);
        return builder.Build();
    }

    private static X509Certificate2 CreateCa(string folder, TimeProvider time)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN=GitOrch cluster CA {Guid.NewGuid().ToString("N")[..8]}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        var now = time.GetUtcNow();
        var ca = request.CreateSelfSigned(now.AddMinutes(-5), now + CaLifetime);
        Save(folder, "ca", ca);
        return ca;
    }

    private static X509Certificate2 IssueServer(X509Certificate2 ca, IReadOnlyCollection<string> names, TimeProvider time)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=gitorch-api", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(CaTrust.ServerAuth)], false));
        var san = new SubjectAlternativeNameBuilder();
        foreach (var name in names)
        {
            if (IPAddress.TryParse(name, out var ip))
            {
                san.AddIpAddress(ip);
            }
            else
            {
                san.AddDnsName(name);
            }
        }

        request.CertificateExtensions.Add(san.Build());
        var now = time.GetUtcNow();
        using var cert = request.Create(ca, now.AddMinutes(-5), now + LeafLifetime, Serial());
        return cert.CopyWithPrivateKey(key);
    }

    private static void ClientExtensions(CertificateRequest request)
    {
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(CaTrust.ClientAuth)], false));
    }

    private static List<string> Names(IEnumerable<string> hostNames)
    {
        var names = new List<string> { "127.0.0.1", "::1", "localhost" };
        var host = Dns.GetHostName();
        if (host.Length > 0)
        {
            names.Add(host);
        }

        foreach (var name in hostNames)
        {
            var trimmed = name.Trim('[', ']');
            if (trimmed.Length > 0 && trimmed != "0.0.0.0" && trimmed != "::" && trimmed != "*" && trimmed != "+")
            {
                names.Add(trimmed);
            }
        }

        return names.Distinct(StringComparer.OrdinalIgnoreCase).ToList();
    }

    private static bool Covers(X509Certificate2 cert, IReadOnlyCollection<string> names)
    {
        var san = cert.Extensions.OfType<X509SubjectAlternativeNameExtension>().FirstOrDefault();
        if (san is null)
        {
            return false;
        }

        var present = san.EnumerateDnsNames().Concat(san.EnumerateIPAddresses().Select(ip => ip.ToString())).ToHashSet(StringComparer.OrdinalIgnoreCase);
        return names.All(n => present.Contains(IPAddress.TryParse(n, out var ip) ? ip.ToString() : n));
    }

    private static byte[] Serial() => RandomNumberGenerator.GetBytes(16);

    private static X509Certificate2? LoadPair(string folder, string name)
    {
        var crt = Path.Combine(folder, name + ".crt");
        var key = Path.Combine(folder, name + ".key");
        if (!File.Exists(crt) || !File.Exists(key))
        {
            return null;
        }

        using var loaded = X509Certificate2.CreateFromPemFile(crt, key);

        // Exported and loaded again so that the key works for TLS servers on every platform.
        return X509CertificateLoader.LoadPkcs12(loaded.Export(X509ContentType.Pkcs12), null);
    }

    private static void Save(string folder, string name, X509Certificate2 cert)
    {
        using var key = cert.GetECDsaPrivateKey() ?? throw new InvalidOperationException($"{name} certificate has no private key");
        SecureFiles.WriteAllText(Path.Combine(folder, name + ".key"), key.ExportPkcs8PrivateKeyPem());
        SecureFiles.WriteAllText(Path.Combine(folder, name + ".crt"), cert.ExportCertificatePem());
    }

    public void Dispose()
    {
        Ca.Dispose();
        ApiCertificate.Dispose();
    }
}
