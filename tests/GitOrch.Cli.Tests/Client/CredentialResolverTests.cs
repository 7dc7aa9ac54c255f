using GitOrch.Cli.Client;
using GitOrch.Contracts.Trust;

namespace GitOrch.Cli.Tests.Client;

/// <summary>Which credentials a verb uses: --credentials, then GITORCH_CREDENTIALS, then the config's context for --server, then its current context.</summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class CredentialResolverTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("gitorch-credentials-").FullName;

    private string Config => Path.Combine(_folder, "config", "gitorch", "config");

    [Fact]
    public void SeveralUps_OnDifferentPorts_KeepOneContextEach_TheLastIsCurrent()
    {
        UserConfig.AddCurrent(Config, Credentials("https://127.0.0.1:7780", "first"));
        UserConfig.AddCurrent(Config, Credentials("https://127.0.0.1:17780", "second"));
        UserConfig.AddCurrent(Config, Credentials("https://127.0.0.1:7780", "first-again"));

        var config = UserConfig.Load(Config);
        Assert.Equal(["127.0.0.1:17780", "127.0.0.1:7780"], config.Contexts.Select(c => c.Name).Order());
        Assert.Equal("127.0.0.1:7780", config.CurrentContext);
        Assert.Equal(SecureFiles.FileMode, File.GetUnixFileMode(Config));
        Assert.Equal(SecureFiles.FolderMode, File.GetUnixFileMode(Path.GetDirectoryName(Config)!));
    }

    [Theory]
    [InlineData(null, null, null, "first-again", "https://127.0.0.1:7780")] // the current context
    [InlineData("https://127.0.0.1:17780", null, null, "second", "https://127.0.0.1:17780")] // the context for --server
    [InlineData(null, null, "env", "from-env", "https://env.example:7780")] // GITORCH_CREDENTIALS
    [InlineData(null, "flag", "env", "from-flag", "https://flag.example:7780")] // --credentials wins
    [InlineData("https://other.example:1", "flag", null, "from-flag", "https://other.example:1")] // --server overrides the file's server
    public void TheOrder_FlagThenVariableThenContextForServerThenCurrent(string? server, string? flag, string? variable, string token, string expectedServer)
    {
        UserConfig.AddCurrent(Config, Credentials("https://127.0.0.1:17780", "second"));
        UserConfig.AddCurrent(Config, Credentials("https://127.0.0.1:7780", "first-again"));
        Credentials("https://flag.example:7780", "from-flag").Save(Path.Combine(_folder, "flag"));
        Credentials("https://env.example:7780", "from-env").Save(Path.Combine(_folder, "env"));

        var (servers, credentials) = CredentialResolver.Resolve(server ?? string.Empty, flag is null ? null : Path.Combine(_folder, flag), variable is null ? null : Path.Combine(_folder, variable), Config);
        Assert.Equal(token, credentials.Token);
        Assert.Equal([expectedServer], servers);
    }

    [Fact]
    public void NoCredentials_SaysWhereTheyComeFrom()
    {
        var none = Assert.Throws<CliException>(() => CredentialResolver.Resolve(string.Empty, null, null, Config));
        Assert.Contains("no credentials", none.Message, StringComparison.Ordinal);
        Assert.Contains("gitorch up --repo R", none.Message, StringComparison.Ordinal);
        Assert.Contains("--credentials FILE", none.Message, StringComparison.Ordinal);

        UserConfig.AddCurrent(Config, Credentials("https://127.0.0.1:7780", "t"));
        var unknown = Assert.Throws<CliException>(() => CredentialResolver.Resolve("https://elsewhere.example:7780", null, null, Config));
        Assert.Contains("no credentials for https://elsewhere.example:7780", unknown.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ABrokenCredentialsFile_IsNamed_WithWhatItMustHold()
    {
        var path = Path.Combine(_folder, "broken");
        File.WriteAllText(path, """{"server": "https://x:1"}""");
        var broken = Assert.Throws<CliException>(() => CredentialResolver.Resolve(string.Empty, path, null, Config));
        Assert.Contains($"the credentials file {path} is not usable: it must be a JSON object with server, caCertificate and token", broken.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void PlainHttp_IsRefused_SayingToUseHttps()
    {
        var http = Assert.Throws<CliException>(() => CredentialResolver.Resolve("http://127.0.0.1:7780", null, null, Config));
        Assert.Contains("GitOrch speaks HTTPS only", http.Message, StringComparison.Ordinal);
        Assert.Contains("https://127.0.0.1:7780", http.Message, StringComparison.Ordinal);
    }

    private static ClusterCredentials Credentials(string server, string token) => new() { Server = server, CaCertificate = "-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----", Token = token };

    public void Dispose() => Directory.Delete(_folder, recursive: true);
}
