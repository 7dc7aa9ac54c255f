using System.Diagnostics;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using GitOrch.Contracts.Trust;
using GitOrch.Controller;
using GitOrch.EndToEnd.Tests.Support;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace GitOrch.EndToEnd.Tests;

/// <summary>
/// Trust with real processes: a controller and two agents joining with tokens, a fake server on the
/// agents' address, an unprivileged local user, viewers, expired and revoked tokens, and the
/// README's two commands with no flags.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class TrustTests
{
    private static readonly Dictionary<string, string> NoEnvironment = [];

    [Fact]
    public async Task AControllerAndTwoAgents_JoinWithTokens_ServeLogsOnTheirChannel_AndIgnoreAFakeServer()
    {
        var marker = "gitorch-trust-" + Guid.NewGuid().ToString("N")[..12];
        using var repo = new GitRepo(GitRepo.ExampleRepo());
        repo.Replace("apps/metrics.yaml", "sleep 10; done", $"sleep 10; done # {marker}");
        repo.Commit("Mark the metrics pod");
        using var folder = new TempFolder();
        try
        {
            await using var controller = GitorchProcess.Start(repo.Root, "controller", "--repo", repo.Path, "--state", Path.Combine(folder.Path, "controller"), "--poll", "0.2");
            await controller.WaitForAsync(s => s.Controller.LastApplied is not null, "the first apply");

            var (exit, token, err) = Command.Run("node", "token", "--ttl", "1h", "--server", controller.Server);
            Assert.True(exit == 0, err);
            token = token.Trim();
            Assert.Matches("^gitorch1\\.[0-9a-f]{64}\\.[A-Za-z0-9_-]+$", token);

            await using var a = Agent(folder, controller.AgentServer!, "node-a", token);
            await using var b = Agent(folder, controller.AgentServer!, "node-b", token);
            await a.WaitForOutputAsync("Node node-a joined the cluster", "node-a to join");
            await b.WaitForOutputAsync("Node node-b joined the cluster", "node-b to join");
            foreach (var node in new[] { "node-a", "node-b" })
            {
                var pki = Path.Combine(folder.Path, node, "pki");
                Assert.Equal(SecureFiles.FolderMode, File.GetUnixFileMode(pki));
                Assert.All(Directory.GetFiles(pki), f => Assert.Equal(SecureFiles.FileMode, File.GetUnixFileMode(f)));
            }

            var http = controller.AdminClient()!;
            await Until(async () =>
            {
                var nodes = await http.GetFromJsonAsync<JsonElement>("api/v1/nodes");
                return nodes.EnumerateArray().Count(n => n.GetProperty("lastSeen").ValueKind == JsonValueKind.String) == 2;
            }, "both nodes to heartbeat");

            // The metrics pod runs on one of them; its output comes back over that agent's own channel.
            string logs = string.Empty;
            await Until(() =>
            {
                var (code, text, _) = Command.Run("logs", "metrics", "-n", "demo", "-c", "main", "--server", controller.Server);
                logs = text;
                return Task.FromResult(code == 0 && text.Contains("metrics on ", StringComparison.Ordinal));
            }, "the metrics pod's output through its agent");

            // The controller goes; something else takes the agents' address with a certificate of another CA.
            var agentAddress = controller.AgentServer!;
            controller.Kill();
            await using var impostor = GitorchProcess.Start(repo.Root, "controller", "--repo", repo.Path, "--state", Path.Combine(folder.Path, "impostor"), "--poll", "0.2", "--agent-listen", agentAddress);
            await impostor.WaitForAsync(s => s.Controller.LastApplied is not null, "the impostor to start");
            await a.WaitForOutputAsync("Refusing the server at " + agentAddress, "node-a to refuse the impostor");
            await b.WaitForOutputAsync("Refusing the server at " + agentAddress, "node-b to refuse the impostor");
            var seen = await impostor.AdminClient()!.GetFromJsonAsync<JsonElement>("api/v1/nodes");
            Assert.Empty(seen.EnumerateArray());
            Assert.DoesNotContain("Refused node call", impostor.Output, StringComparison.Ordinal); // No agent even got as far as a call.
            Assert.False(a.HasExited || b.HasExited, "the agents keep running their pods");
        }
        finally
        {
            MarkedProcesses.Kill(marker);
        }
    }

    [Fact]
    public async Task AJoinTokenOfAnotherCluster_IsRefused_BeforeItsSecretIsSent()
    {
        using var repo = new GitRepo(GitRepo.ExampleRepo());
        repo.Commit("Initial config");
        using var folder = new TempFolder();
        await using var controller = GitorchProcess.Start(repo.Root, "controller", "--repo", repo.Path, "--state", Path.Combine(folder.Path, "controller"), "--poll", "5");
        await controller.WaitForAsync(s => s.Controller.LastApplied is not null, "the first apply");
        var (_, token, _) = Command.Run("node", "token", "--server", controller.Server);
        var parts = token.Trim().Split('.');
        var forged = $"{parts[0]}.{new string('a', 64)}.{parts[2]}";

        await using var agent = Agent(folder, controller.AgentServer!, "node-a", forged);
        Assert.Equal(1, await agent.WaitForExitAsync(60));
        Assert.Contains("but the join token pins " + new string('a', 64), agent.Output, StringComparison.Ordinal);
        Assert.Contains("The token was not sent", agent.Output, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(folder.Path, "node-a", "pki", "node.crt")));
        Assert.DoesNotContain("joined with join token", controller.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnUnprivilegedLocalUser_IsRefusedOnEveryEndpoint()
    {
        using var repo = new GitRepo(GitRepo.ExampleRepo());
        repo.Commit("Initial config");
        using var folder = new TempFolder();
        File.SetUnixFileMode(folder.Path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.OtherExecute | UnixFileMode.OtherRead);
        var state = Path.Combine(folder.Path, "state");
        await using var host = await ControllerHost.StartAsync(
            new ControllerOptions { Repo = repo.Path, StateDir = state, Listen = "https://127.0.0.1:0", AgentListen = "https://127.0.0.1:0", Poll = TimeSpan.FromHours(1), WebhookSecret = "s3cret" },
            logging: null, TimeProvider.System, CancellationToken.None);

        // The credentials on disk are the owner's alone.
        var (readExit, _) = Unprivileged("cat", host.AdminCredentialsPath);
        Assert.NotEqual(0, readExit);

        var endpoints = new List<(string Method, string Url, bool Anonymous)>();
        foreach (var endpoint in host.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>())
        {
            var url = endpoint.RoutePattern.RawText!;
            foreach (var parameter in endpoint.RoutePattern.Parameters)
            {
                url = System.Text.RegularExpressions.Regex.Replace(url, "\\{" + parameter.Name + "[^}]*\\}", parameter.Name switch { "kind" => "Pod", "version" => "1", "node" => "node-a", _ => "x" });
            }

            var baseUrl = url.StartsWith("/gitorch.", StringComparison.Ordinal) ? host.AgentAddress! : host.Address;
            foreach (var method in endpoint.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? ["GET"])
            {
                endpoints.Add((method, $"{baseUrl}/{url.TrimStart('/')}?namespace=demo&from=1&to=2&field=spec", endpoint.Metadata.GetMetadata<IAllowAnonymous>() is not null));
            }
        }

        Assert.True(endpoints.Count >= 20, $"only {endpoints.Count} endpoints in the route table");
        foreach (var (method, url, anonymous) in endpoints)
        {
            var (exit, answer) = Unprivileged("curl", "-sk", url.StartsWith(host.AgentAddress!, StringComparison.Ordinal) ? "--http2" : "--http1.1", "-o", "/dev/null", "-w", "%{http_code}", "-X", method, "-H", "Content-Type: application/json", "-d", "{}", url);
            var expected = !anonymous ? "401"
                : url.Contains("webhooks", StringComparison.Ordinal) ? "401" // no signature
                : url.Contains("/ui/login", StringComparison.Ordinal) ? "401" // no login code
                : url.Contains("/ui/static/", StringComparison.Ordinal) ? "404" // not one of the two data-free assets
                : "415"; // gRPC: not a gRPC request
            Assert.True(answer == expected, $"{method} {url} answered {answer} (curl exit {exit}), not {expected}, to uid 65534");
        }

        // A forged token, and plain HTTP, fare no better.
        var (_, forged) = Unprivileged("curl", "-sk", "-H", "Authorization: Bearer made-up", $"{host.Address}/api/v1/status");
        Assert.Contains("not known to this cluster", forged, StringComparison.Ordinal);
        var (_, plain) = Unprivileged("curl", "-s", host.Address.Replace("https://", "http://", StringComparison.Ordinal) + "/api/v1/status");
        Assert.Contains("this port speaks HTTPS only", plain, StringComparison.Ordinal);
        Assert.Empty(host.Controller.Nodes.All); // No forged heartbeat registered a node.
    }

    [Fact]
    public async Task AViewer_Reads_IsRefusedOnNodeDead_AndExpiredAndRevokedTokensAreRefused()
    {
        using var repo = new GitRepo(GitRepo.ExampleRepo());
        repo.Commit("Initial config");
        using var folder = new TempFolder();
        await using var controller = GitorchProcess.Start(repo.Root, "controller", "--repo", repo.Path, "--state", Path.Combine(folder.Path, "state"), "--poll", "5");
        await controller.WaitForAsync(s => s.Controller.LastApplied is not null, "the first apply");

        var viewer = Path.Combine(folder.Path, "viewer.credentials");
        var (created, json, createErr) = Command.Run("token", "create", "--role", "viewer", "--name", "ci-reader", "--server", controller.Server);
        Assert.True(created == 0, createErr);
        await File.WriteAllTextAsync(viewer, json);

        var (statusExit, status, statusErr) = Command.Run("status", "--credentials", viewer);
        Assert.True(statusExit == 0, statusErr);
        Assert.Contains("Repo:", status, StringComparison.Ordinal);

        var (deadExit, _, deadErr) = Command.Run("node", "dead", "node-x", "--credentials", viewer);
        deadErr = OneLine(deadErr);
        Assert.Equal(1, deadExit);
        Assert.True(deadErr.Contains("POST /api/v1/nodes/node-x/dead needs the role admin; token/ci-reader has the role viewer", StringComparison.Ordinal), deadErr);

        var shortLived = Path.Combine(folder.Path, "short.credentials");
        var (_, shortJson, _) = Command.Run("token", "create", "--role", "admin", "--name", "short", "--ttl", "2s", "--server", controller.Server);
        await File.WriteAllTextAsync(shortLived, shortJson);
        string expiredErr = string.Empty;
        await Until(() =>
        {
            var (code, _, err) = Command.Run("status", "--credentials", shortLived);
            expiredErr = OneLine(err);
            return Task.FromResult(code != 0);
        }, "the 2s token to expire");
        Assert.Contains("the token short expired at", expiredErr, StringComparison.Ordinal);

        var (revokeExit, revoked, _) = Command.Run("token", "revoke", "ci-reader", "--server", controller.Server);
        Assert.Equal(0, revokeExit);
        Assert.Contains("Token ci-reader is revoked.", revoked, StringComparison.Ordinal);
        var (afterExit, _, afterErr) = Command.Run("status", "--credentials", viewer);
        afterErr = OneLine(afterErr);
        Assert.Equal(1, afterExit);
        Assert.Contains("the token ci-reader was revoked", afterErr, StringComparison.Ordinal);

        var (_, list, _) = Command.Run("token", "ls", "--server", controller.Server);
        Assert.Matches("ci-reader +viewer .* revoked ", list);
        Assert.Matches("short +admin .* expired ", list);
        Assert.Contains("Refused (401) GET /api/v1/status by anonymous", controller.Output, StringComparison.Ordinal);
        Assert.Contains("Write by token/admin: POST /api/v1/tokens", controller.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheReadmeCommands_StatusAfterUp_NeedsNoFlags()
    {
        using var repo = new GitRepo(GitRepo.ExampleRepo());
        repo.Commit("Initial config");
        await using var up = GitorchProcess.Start(repo.Root, "up", "--repo", repo.Path, "--state", Path.Combine(repo.Root, "state"), "--poll", "5", "--node", "node-a");
        await up.WaitForAsync(s => s.Controller.LastApplied is not null, "the first apply");
        Assert.Equal(SecureFiles.FileMode, File.GetUnixFileMode(up.ConfigPath));

        var (exit, output) = await CliProcess.RunAsync(repo.Root, new Dictionary<string, string> { ["GITORCH_CONFIG"] = up.ConfigPath }, "status");
        Assert.True(exit == 0, output);
        Assert.Contains("Repo:", output, StringComparison.Ordinal);
        Assert.Contains("node-a", output, StringComparison.Ordinal);

        // A user with no credentials is told where they come from.
        using var empty = new TempFolder();
        var (noExit, noOutput) = await CliProcess.RunAsync(repo.Root, new Dictionary<string, string> { ["GITORCH_CONFIG"] = Path.Combine(empty.Path, "config") }, "status");
        Assert.Equal(1, noExit);
        Assert.Contains("no credentials", noOutput, StringComparison.Ordinal);
        Assert.Contains("gitorch up --repo R", noOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheController_WritesNoKeysUnderTheUsersHome()
    {
        // ASP.NET Core's authentication brings a key ring whose hosted service wrote a key,
        // unencrypted, to $HOME/.aspnet/DataProtection-Keys at every start. The controller keeps
        // its secrets in its state folder only.
        using var repo = new GitRepo(GitRepo.ExampleRepo());
        repo.Commit("Initial config");
        using var home = new TempFolder();
        var environment = new Dictionary<string, string> { ["HOME"] = home.Path, ["XDG_CONFIG_HOME"] = Path.Combine(home.Path, ".config") };
        await using (var controller = GitorchProcess.Start(repo.Root, environment, "controller", "--repo", repo.Path, "--state", Path.Combine(repo.Root, "state"), "--poll", "5"))
        {
            await controller.WaitForAsync(s => s.Controller.LastApplied is not null, "the first apply");
            var (exit, _, err) = Command.Run("get", "pods", "-n", "demo", "--server", controller.Server);
            Assert.True(exit == 0, err);
            Assert.DoesNotContain("DataProtection", controller.Output, StringComparison.Ordinal);
        }

        var written = Directory.EnumerateFileSystemEntries(home.Path, "*", SearchOption.AllDirectories).ToList();
        Assert.True(written.Count == 0, "written under HOME: " + string.Join(", ", written));
    }

    private static string OneLine(string text) => System.Text.RegularExpressions.Regex.Replace(text, "\\s+", " ");

    private static CliProcess Agent(TempFolder folder, string server, string node, string token) =>
        CliProcess.Start(folder.Path, NoEnvironment, "agent", "--server", server, "--node", node, "--join", token, "--state", Path.Combine(folder.Path, node), "--capacity", "cpu=2,memory=2Gi");

    private static (int Exit, string Output) Unprivileged(params string[] command)
    {
        var info = new ProcessStartInfo("setpriv") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in (string[])["--reuid", "65534", "--regid", "65534", "--clear-groups", .. command])
        {
            info.ArgumentList.Add(arg);
        }

        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEnd() + process.StandardError.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, output);
    }

    private static async Task Until(Func<Task<bool>> condition, string what, int seconds = 60)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"timed out waiting for {what}");
            }

            await Task.Delay(200);
        }
    }
}
