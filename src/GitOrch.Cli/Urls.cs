namespace GitOrch.Cli;

/// <summary>Checks the URLs users give (--server, --listen, --agent-listen, GITORCH_SERVER) before anything uses them: https only.</summary>
internal static class Urls
{
    public static string Require(string value, string flag)
    {
        if (Uri.TryCreate(value, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https" && uri.Host.Length > 0)
        {
            return uri.Scheme == "https"
                ? value
                : throw new CliException($"{flag} {value}: GitOrch speaks HTTPS only (certificates from the cluster's CA); write https://{uri.Authority}");
        }

        throw new CliException($"{flag} \"{value}\" is not a URL; write it like https://127.0.0.1:7780");
    }
}
