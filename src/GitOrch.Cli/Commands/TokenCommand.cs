using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using GitOrch.Cli.Client;
using GitOrch.Cli.Output;
using GitOrch.Contracts.Trust;
using GitOrch.Controller.Api;

namespace GitOrch.Cli.Commands;

/// <summary><c>gitorch token create|ls|revoke</c>: credentials for people (admin only).</summary>
internal static class TokenCommand
{
    public static Command Create()
    {
        var role = new Option<string>("--role") { Description = "admin (every verb) or viewer (read verbs only)", Required = true, HelpName = "admin|viewer" };
        var name = new Option<string>("--name") { Description = "The token's name (who holds it: it names them in the audit log)", Required = true, HelpName = "N" };
        var ttl = new Option<string?>("--ttl") { Description = "How long it is valid (90s, 30m, 24h, 7d; default: until revoked)", HelpName = "DURATION" };
        var server = CommonOptions.Server();
        var create = new Command("create", "Create a token and print a credentials file for it (keep it secret: it is shown once)") { role, name, ttl, server };
        create.SetAction(async (parse, ct) =>
        {
            var seconds = parse.GetValue(ttl) is { } text ? Durations.Parse(text, "--ttl").TotalSeconds : (double?)null;
            using var client = ApiClient.For(parse, server);
            var credentials = await client.PostAsync<ClusterCredentials>("api/v1/tokens", new CreateTokenRequest(parse.GetRequiredValue(role), parse.GetRequiredValue(name), seconds), ct);
            await parse.InvocationConfiguration.Output.WriteLineAsync(credentials.ToJson());
            return ExitCodes.Ok;
        });

        var output = CommonOptions.Output(OutputFormat.Text, OutputFormat.Json);
        var lsServer = CommonOptions.Server();
        var list = new Command("ls", "List tokens (names, roles, expiry, revocation; never the secrets)") { output, lsServer };
        list.SetAction(async (parse, ct) =>
        {
            using var client = ApiClient.For(parse, lsServer);
            var writer = parse.InvocationConfiguration.Output;
            var json = await client.GetJsonAsync("api/v1/tokens", ct);
            if (parse.GetValue(output) == OutputFormat.Json)
            {
                await writer.WriteLineAsync(JsonSerializer.Serialize(json, ApiClient.Json));
                return ExitCodes.Ok;
            }

            var tokens = json.Deserialize<List<TokenModel>>(ApiClient.Json)!;
            var table = new Table("NAME", "ROLE", "CREATED", "EXPIRES", "STATE", "BY");
            foreach (var t in tokens)
            {
                table.Add(t.Name, t.Kind == "join" ? "node join" : t.Role, Time(t.CreatedAt), t.ExpiresAt is { } e ? Time(e) : "never",
                    t.RevokedAt is { } r ? "revoked " + Time(r) : t.ExpiresAt is { } x && x <= DateTimeOffset.UtcNow ? "expired" : "valid", t.CreatedBy);
            }

            table.Write(writer);
            return ExitCodes.Ok;
        });

        var revokeName = new Argument<string>("N") { Description = "The token's name" };
        var revokeServer = CommonOptions.Server();
        var revoke = new Command("revoke", "Revoke a token at once (requests with it get 401 from then on)") { revokeName, revokeServer };
        revoke.SetAction(async (parse, ct) =>
        {
            using var client = ApiClient.For(parse, revokeServer);
            var tokenName = parse.GetRequiredValue(revokeName);
            await client.PostAsync<JsonElement>($"api/v1/tokens/{Uri.EscapeDataString(tokenName)}/revoke", ct);
            await parse.InvocationConfiguration.Output.WriteLineAsync($"Token {tokenName} is revoked.");
            return ExitCodes.Ok;
        });

        return new Command("token", "Credentials for people: create, list, revoke (admin)") { create, list, revoke };
    }

    /// <summary><c>gitorch node token [--ttl 24h]</c>: a join token for a new node.</summary>
    public static Command CreateJoin()
    {
        var ttl = new Option<string?>("--ttl") { Description = "How long it is valid (default 24h)", HelpName = "DURATION" };
        var server = CommonOptions.Server();
        var command = new Command("token", "Print a join token for a new node: gitorch agent --server https://HOST:7781 --join TOKEN --node NAME") { ttl, server };
        command.SetAction(async (parse, ct) =>
        {
            var seconds = parse.GetValue(ttl) is { } text ? Durations.Parse(text, "--ttl").TotalSeconds : (double?)null;
            using var client = ApiClient.For(parse, server);
            var token = await client.PostAsync<JoinTokenModel>("api/v1/join-tokens", new CreateJoinTokenRequest(seconds), ct);
            await parse.InvocationConfiguration.Output.WriteLineAsync(token.Token);
            await parse.InvocationConfiguration.Error.WriteLineAsync($"gitorch: join token {token.Name}, valid until {Time(token.ExpiresAt)}; revoke it with `gitorch token revoke {token.Name}`");
            return ExitCodes.Ok;
        });
        return command;
    }

    private static string Time(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture);
}
