namespace GitOrch.Cli;

/// <summary>Checks the URLs users give (--server, --listen, GITORCH_SERVER) before anything uses them.</summary>
internal static class Urls
{
    public static string Require(string value, string flag)
    {
        if (Uri.TryCreate(value, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https" && uri.Host.Length > 0)
        {
            return value;
        }

        throw new CliException($"{flag} \"{value}\" is not a URL; write it like http://127.0.0.1:7780");
    }
}
