using System.Security.Cryptography.X509Certificates;
using GitOrch.Contracts.Trust;
using GitOrch.Controller.Tests.Support;
using GitOrch.Controller.Trust;

namespace GitOrch.Controller.Tests.Trust;

/// <summary>The cluster CA and the API certificate in STATE/pki.</summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class ClusterPkiTests : IDisposable
{
    private readonly TempDir _state = new("gitorch-pki");

    [Fact]
    public void FirstStart_CreatesTheCaAndApiCertificate_OwnerOnly()
    {
        using var pki = ClusterPki.LoadOrCreate(_state.Path, ["gitorch.example"], TimeProvider.System);
        var folder = Path.Combine(_state.Path, ClusterPki.FolderName);
        Assert.Equal(SecureFiles.FolderMode, File.GetUnixFileMode(folder));
        Assert.Equal(["api.crt", "api.key", "ca.crt", "ca.key"], Directory.GetFiles(folder).Select(Path.GetFileName).Order());
        Assert.All(Directory.GetFiles(folder), f => Assert.Equal(SecureFiles.FileMode, File.GetUnixFileMode(f)));
        Assert.True(CaTrust.ChainsTo(pki.ApiCertificate, pki.Ca, CaTrust.ServerAuth, out var why), why);
    }

    [Fact]
    public void TheApiCertificate_NamesLoopback_TheHostName_AndTheListenHost()
    {
        using var pki = ClusterPki.LoadOrCreate(_state.Path, ["gitorch.example", "10.1.2.3"], TimeProvider.System);
        var san = pki.ApiCertificate.Extensions.OfType<X509SubjectAlternativeNameExtension>().Single();
        var names = san.EnumerateDnsNames().Concat(san.EnumerateIPAddresses().Select(ip => ip.ToString())).ToList();
        Assert.Superset(new HashSet<string> { "127.0.0.1", "::1", "localhost", System.Net.Dns.GetHostName(), "gitorch.example", "10.1.2.3" }, names.ToHashSet());
    }

    [Fact]
    public void ASecondStart_KeepsTheCa_AndReissuesTheApiCertificateOnlyForANewName()
    {
        string hash;
        string api;
        using (var first = ClusterPki.LoadOrCreate(_state.Path, [], TimeProvider.System))
        {
            hash = first.CaHash;
            api = first.ApiCertificate.Thumbprint;
        }

        using (var same = ClusterPki.LoadOrCreate(_state.Path, [], TimeProvider.System))
        {
            Assert.Equal((hash, api), (same.CaHash, same.ApiCertificate.Thumbprint));
        }

        using var renamed = ClusterPki.LoadOrCreate(_state.Path, ["new-name.example"], TimeProvider.System);
        Assert.Equal(hash, renamed.CaHash);
        Assert.NotEqual(api, renamed.ApiCertificate.Thumbprint);
    }

    public void Dispose() => _state.Dispose();
}
