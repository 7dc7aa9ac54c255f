using GitOrch.Cli.Tests.Support;
using GitOrch.Contracts.Trust;

namespace GitOrch.Cli.Tests.Commands;

/// <summary><c>gitorch token create|ls|revoke</c> and <c>node token</c> against a real controller.</summary>
public sealed class TokenCommandTests : IAsyncLifetime
{
    private RunningController _controller = null!;

    public async Task InitializeAsync() => _controller = await RunningController.StartAsync();

    public async Task DisposeAsync() => await _controller.DisposeAsync();

    [Fact]
    public async Task Create_PrintsACredentialsFile_ThatTheCliUses_AndRevokeEndsIt()
    {
        var (exit, json, err) = await _controller.RunAsync("token", "create", "--role", "viewer", "--name", "dashboards", "--ttl", "7d");
        Assert.True(exit == 0, err);
        var credentials = ClusterCredentials.Parse(json, out var error);
        Assert.True(credentials is not null, error);
        Assert.Equal(_controller.Address, credentials.Server);
        var file = Path.Combine(Path.GetTempPath(), $"gitorch-viewer-{Guid.NewGuid():N}.json");
        try
        {
            await File.WriteAllTextAsync(file, json);
            var status = Run("status", "--credentials", file);
            Assert.True(status.Exit == 0, status.Err);

            var (_, list, _) = await _controller.RunAsync("token", "ls");
            Assert.Matches("dashboards +viewer +\\S+ \\S+ +\\S+ \\S+ +valid +token/admin", list);
            Assert.Matches("admin +admin .* never +valid", list);

            Assert.Equal(0, (await _controller.RunAsync("token", "revoke", "dashboards")).Exit);
            var refused = Run("status", "--credentials", file);
            Assert.Equal(1, refused.Exit);
            Assert.Contains("the token dashboards was revoked", refused.Err, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Theory]
    [InlineData("--role", "root", "--role \"root\" is not a role; use one of: admin, viewer")]
    [InlineData("--name", "Bad Name", "is not a token name")]
    [InlineData("--ttl", "5 years", "--ttl \"5 years\" is not a duration; write it like 90s, 30m, 24h or 7d")]
    public async Task Create_RefusesBadInput_SayingWhatToDo(string flag, string value, string expected)
    {
        var args = new Dictionary<string, string> { ["--role"] = "viewer", ["--name"] = "ok-name" };
        args[flag] = value;
        var (exit, _, err) = await _controller.RunAsync(["token", "create", .. args.SelectMany(a => new[] { a.Key, a.Value })]);
        Assert.Equal(1, exit);
        Assert.Contains(expected, err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task NodeToken_PrintsAJoinTokenPinningThisClustersCa()
    {
        var (exit, output, err) = await _controller.RunAsync("node", "token", "--ttl", "1h");
        Assert.True(exit == 0, err);
        var token = JoinToken.TryParse(output);
        Assert.NotNull(token);
        Assert.Equal(_controller.Host.Pki.CaHash, token.CaHash);
        Assert.Contains("join token join-1, valid until", err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SeveralServers_AreTriedInTurn()
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exit = GitOrchApp.Run(["status", "--server", $"https://127.0.0.1:1,{_controller.Address}", "--credentials", _controller.Host.AdminCredentialsPath], output, error, RunningController.Wide);
        Assert.True(exit == 0, error.ToString());
        Assert.Contains("Repo:", output.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void CredentialsOfAnotherCluster_AreRefusedAtTheServersCertificate()
    {
        var file = Path.Combine(Path.GetTempPath(), $"gitorch-other-{Guid.NewGuid():N}.json");
        using var key = System.Security.Cryptography.ECDsa.Create();
        var request = new System.Security.Cryptography.X509Certificates.CertificateRequest("CN=other CA", key, System.Security.Cryptography.HashAlgorithmName.SHA256);
        using var other = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        (_controller.Host.AdminCredentials with { CaCertificate = other.ExportCertificatePem() }).Save(file);
        try
        {
            var refused = Run("status", "--credentials", file);
            Assert.Equal(1, refused.Exit);
            Assert.Contains($"refused the server at {_controller.Address}", refused.Err, StringComparison.Ordinal);
            Assert.Contains("is not from the cluster CA", refused.Err, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(file);
        }
    }

    private static (int Exit, string Out, string Err) Run(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exit = GitOrchApp.Run(args, output, error, RunningController.Wide);
        return (exit, output.ToString(), error.ToString());
    }
}
