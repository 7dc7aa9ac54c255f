using System.Text.Json.Serialization;
using GitOrch.Contracts.Trust;

namespace GitOrch.Cli.Client;

/// <summary>One context of the user's config: a controller's address, its CA and a token.</summary>
internal sealed class UserContext
{
    [JsonPropertyName("name")]
    public required string Name { get; set; }

    [JsonPropertyName("server")]
    public required string Server { get; set; }

    [JsonPropertyName("caCertificate")]
    public required string CaCertificate { get; set; }

    [JsonPropertyName("token")]
    public required string Token { get; set; }

    public ClusterCredentials ToCredentials() => new() { Server = Server, CaCertificate = CaCertificate, Token = Token };
}
