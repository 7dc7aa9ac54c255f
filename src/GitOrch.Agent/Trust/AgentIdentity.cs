using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using GitOrch.Contracts.Trust;

namespace GitOrch.Agent.Trust;

/// <summary>
/// What a node agent trusts and who it is, kept in its state folder (<c>pki/</c>, 0700; files
/// 0600): the cluster CA it pinned when it joined (<c>ca.crt</c>) and its node certificate and key
/// (<c>node.crt</c>, <c>node.key</c>). With these, it uses nothing else: no token, no other CA.
/// </summary>
public sealed class AgentIdentity : IDisposable
{
    public const string FolderName = "pki";

    private AgentIdentity(X509Certificate2 ca, X509Certificate2 certificate)
    {
        Ca = ca;
        Certificate = certificate;
    }

    /// <summary>The pinned cluster CA (public certificate only).</summary>
    public X509Certificate2 Ca { get; }

    /// <summary>The node certificate, with its private key.</summary>
    public X509Certificate2 Certificate { get; }

    public string Node => Certificate.GetNameInfo(X509NameType.SimpleName, forIssuer: false);

    public static string Folder(string stateDir) => Path.Combine(stateDir, FolderName);

    public static bool Exists(string stateDir) =>
        File.Exists(Path.Combine(Folder(stateDir), "ca.crt")) && File.Exists(Path.Combine(Folder(stateDir), "node.crt")) && File.Exists(Path.Combine(Folder(stateDir), "node.key"));

    /// <summary>Loads the identity; throws <see cref="InvalidOperationException"/> saying what to do when it is unusable.</summary>
    public static AgentIdentity Load(string stateDir)
    {
        var folder = Folder(stateDir);
        try
        {
            var ca = X509CertificateLoader.LoadCertificate(X509Certificate2.CreateFromPem(File.ReadAllText(Path.Combine(folder, "ca.crt"))).RawData);
            using var pair = X509Certificate2.CreateFromPemFile(Path.Combine(folder, "node.crt"), Path.Combine(folder, "node.key"));
            var certificate = X509CertificateLoader.LoadPkcs12(pair.Export(X509ContentType.Pkcs12), null);
            return new AgentIdentity(ca, certificate);
        }
        catch (Exception ex) when (ex is CryptographicException or IOException)
        {
            throw new InvalidOperationException($"the agent's credentials in {folder} are unreadable ({ex.Message}); remove that folder and join again with --join TOKEN (an admin prints one with `gitorch node token`)");
        }
    }

    /// <summary>Writes an identity into the state folder (after a join, or minted directly by <c>up</c> for its own agent).</summary>
    public static void Save(string stateDir, string caPem, X509Certificate2 certificate)
    {
        var folder = Folder(stateDir);
        Directory.CreateDirectory(stateDir); // Its mode is the state folder's business; pki/ is 0700.
        SecureFiles.CreateFolder(folder);
        using var key = certificate.GetECDsaPrivateKey() ?? throw new InvalidOperationException("the node certificate has no private key");
        SecureFiles.WriteAllText(Path.Combine(folder, "node.key"), key.ExportPkcs8PrivateKeyPem());
        SecureFiles.WriteAllText(Path.Combine(folder, "node.crt"), certificate.ExportCertificatePem());
        SecureFiles.WriteAllText(Path.Combine(folder, "ca.crt"), caPem.Trim() + "\n");
    }

    public void Dispose()
    {
        Ca.Dispose();
        Certificate.Dispose();
    }
}
