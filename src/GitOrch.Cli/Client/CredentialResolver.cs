using GitOrch.Contracts.Trust;

namespace GitOrch.Cli.Client;

/// <summary>
/// Which credentials and servers a verb uses, in order: <c>--credentials FILE</c>,
/// <c>GITORCH_CREDENTIALS</c>, then the user config's context whose server is
/// <c>--server</c>/<c>GITORCH_SERVER</c>, or its current context when no server is given.
/// </summary>
internal static class CredentialResolver
{
    public const string CredentialsVariable = "GITORCH_CREDENTIALS";

    /// <summary>Resolves; <paramref name="server"/> is <c>--server</c> (or <c>GITORCH_SERVER</c>), empty when neither is given; it may list several URLs, comma-separated.</summary>
    public static (IReadOnlyList<string> Servers, ClusterCredentials Credentials) Resolve(string? server, string? credentialsFile) =>
        Resolve(server, credentialsFile, Environment.GetEnvironmentVariable(CredentialsVariable), UserConfig.DefaultPath());

    /// <summary>Resolves with the environment's credentials file and the config path given (for tests).</summary>
    internal static (IReadOnlyList<string> Servers, ClusterCredentials Credentials) Resolve(string? server, string? credentialsFile, string? credentialsVariable, string configPath)
    {
        var servers = Split(server);
        var file = credentialsFile ?? (credentialsVariable is { Length: > 0 } env ? env : null);
        if (file is not null)
        {
            ClusterCredentials credentials;
            try
            {
                credentials = ClusterCredentials.Load(file);
            }
            catch (InvalidDataException ex)
            {
                throw new CliException(ex.Message + (credentialsFile is null ? $" (named by {CredentialsVariable})" : string.Empty));
            }

            return (servers.Count > 0 ? servers : Split(credentials.Server), credentials);
        }

        var path = configPath;
        var config = UserConfig.Load(path);
        if (servers.Count > 0)
        {
            var context = servers.Select(config.ForServer).FirstOrDefault(c => c is not null)
                ?? throw new CliException($"no credentials for {string.Join(", ", servers)}: the config {path} has no context for it. Pass --credentials FILE or set {CredentialsVariable} (an admin makes a credentials file with `gitorch token create`), or run `gitorch up` as this user on that machine");
            return (servers, context.ToCredentials());
        }

        var current = config.Current
            ?? throw new CliException($"no credentials: the config {path} has no current context. Start a controller with `gitorch up --repo R` (it writes one for this user), or pass --credentials FILE or set {CredentialsVariable} (an admin makes a credentials file with `gitorch token create`)");
        return (Split(current.Server), current.ToCredentials());
    }

    private static List<string> Split(string? servers) =>
        (servers ?? string.Empty).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(s => Urls.Require(s, "--server")).ToList();
}
