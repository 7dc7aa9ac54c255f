using System.Text.Json;
using System.Text.Json.Serialization;

namespace GitOrch.Contracts.Trust;

/// <summary>
/// A credentials file (<c>STATE/admin.credentials</c>, the output of <c>gitorch token create</c>):
/// the API's address, the cluster CA that its certificate must chain to, and a bearer token.
/// </summary>
public sealed record ClusterCredentials
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    [JsonPropertyName("server")]
    public required string Server { get; init; }

    [JsonPropertyName("caCertificate")]
    public required string CaCertificate { get; init; }

    [JsonPropertyName("token")]
    public required string Token { get; init; }

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    /// <summary>Parses a credentials file's text; null with <paramref name="error"/> saying what is wrong.</summary>
    public static ClusterCredentials? Parse(string text, out string? error)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(text);
        }
        catch (JsonException ex)
        {
            error = $"it is not valid JSON ({ex.Message}); a credentials file is a JSON object with server, caCertificate and token";
            return null;
        }

        using (document)
        {
            string? Text(string name) =>
                document.RootElement.ValueKind == JsonValueKind.Object && document.RootElement.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String
                    ? value.GetString()
                    : null;

            var (server, ca, token) = (Text("server"), Text("caCertificate"), Text("token"));
            if (string.IsNullOrWhiteSpace(server) || string.IsNullOrWhiteSpace(ca) || string.IsNullOrWhiteSpace(token))
            {
                error = "it must be a JSON object with server, caCertificate and token";
                return null;
            }

            error = null;
            return new ClusterCredentials { Server = server, CaCertificate = ca, Token = token };
        }
    }

    /// <summary>Reads a credentials file; throws <see cref="InvalidDataException"/> saying what to do.</summary>
    public static ClusterCredentials Load(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new InvalidDataException($"cannot read the credentials file {path} ({ex.Message}); check the path, or ask an admin for one with `gitorch token create`");
        }

        return Parse(text, out var error) ?? throw new InvalidDataException($"the credentials file {path} is not usable: {error}");
    }

    public void Save(string path) => SecureFiles.WriteAllText(path, ToJson() + "\n");

    /// <summary>An HTTP client for the API: based at <see cref="Server"/>, trusting only <see cref="CaCertificate"/>, sending <see cref="Token"/>.</summary>
    public HttpClient CreateHttpClient(TimeSpan? timeout = null)
    {
        var client = new HttpClient(CaTrust.Handler(CaTrust.LoadPem(CaCertificate)))
        {
            BaseAddress = new Uri(Server.TrimEnd('/') + "/"),
            Timeout = timeout ?? TimeSpan.FromSeconds(30),
        };
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", Token);
        return client;
    }
}
