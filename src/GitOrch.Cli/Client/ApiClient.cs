using System.CommandLine;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Text.Json;
using GitOrch.Contracts.Trust;
using GitOrch.Controller.Api;

namespace GitOrch.Cli.Client;

/// <summary>
/// Talks to a running controller's HTTPS API with the resolved credentials: the server's
/// certificate must chain to the credentials' CA (validation is never turned off), and every
/// request carries the bearer token. Several servers are tried in turn. Every failure becomes a
/// message that says what to do.
/// </summary>
internal sealed class ApiClient : IDisposable
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    private readonly IReadOnlyList<string> _servers;
    private readonly HttpClient _http;
    private readonly System.Security.Cryptography.X509Certificates.X509Certificate2 _ca;
    private string? _refused;
    private int _current;

    public ApiClient(IReadOnlyList<string> servers, ClusterCredentials credentials)
    {
        _servers = servers;
        try
        {
            _ca = CaTrust.LoadPem(credentials.CaCertificate);
        }
        catch (System.Security.Cryptography.CryptographicException ex)
        {
            throw new CliException($"the credentials' caCertificate is not a PEM certificate ({ex.Message}); get a fresh credentials file");
        }

        _http = new HttpClient(CaTrust.Handler(_ca, refused: why => _refused = why)) { Timeout = TimeSpan.FromSeconds(30) };
        _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", credentials.Token);
    }

    /// <summary>The client for a verb: its <c>--server</c> (empty: from the credentials) and the root's <c>--credentials</c>.</summary>
    public static ApiClient For(ParseResult parse, Option<string> server)
    {
        var (servers, credentials) = CredentialResolver.Resolve(parse.GetValue(server), parse.GetValue<string?>(GitOrchApp.CredentialsOption));
        return new ApiClient(servers, credentials);
    }

    public string Server => _servers[_current];

    public async Task<T> GetAsync<T>(string path, CancellationToken ct) => Parse<T>(await SendAsync(HttpMethod.Get, path, null, ct));

    /// <summary>The raw JSON of a GET, for --output json.</summary>
    public async Task<JsonElement> GetJsonAsync(string path, CancellationToken ct) => Parse<JsonElement>(await SendAsync(HttpMethod.Get, path, null, ct));

    public async Task<T> PostAsync<T>(string path, CancellationToken ct) => Parse<T>(await SendAsync(HttpMethod.Post, path, null, ct));

    public async Task<T> PostAsync<T>(string path, object body, CancellationToken ct) => Parse<T>(await SendAsync(HttpMethod.Post, path, body, ct));

    /// <summary>The raw text of a GET (container logs).</summary>
    public async Task<string> GetTextAsync(string path, CancellationToken ct) => (await SendAsync(HttpMethod.Get, path, null, ct)).Body;

    private async Task<(HttpStatusCode Status, string Body)> SendAsync(HttpMethod method, string path, object? body, CancellationToken ct)
    {
        var failures = new List<string>();
        for (var attempt = 0; attempt < _servers.Count; attempt++)
        {
            var server = _servers[(_current + attempt) % _servers.Count];
            try
            {
                using var request = new HttpRequestMessage(method, new Uri(new Uri(server.TrimEnd('/') + "/"), path.TrimStart('/')));
                if (body is not null)
                {
                    request.Content = JsonContent.Create(body, options: Json);
                }

                using var response = await _http.SendAsync(request, ct);
                _current = (_current + attempt) % _servers.Count;
                var text = await response.Content.ReadAsStringAsync(ct);
                if (!response.IsSuccessStatusCode)
                {
                    var error = TryError(text) ?? $"the server at {server} answered HTTP {(int)response.StatusCode} {response.ReasonPhrase}; is it a GitOrch controller? (check --server or GITORCH_SERVER)";
                    throw new CliException(error);
                }

                return (response.StatusCode, text);
            }
            catch (HttpRequestException ex)
            {
                failures.Add(Describe(server, ex));
                _refused = null;
            }
            catch (TaskCanceledException) when (!ct.IsCancellationRequested)
            {
                failures.Add($"the controller at {server} did not answer within 30 s; check that it is running and not overloaded");
            }
        }

        throw new CliException(string.Join("; ", failures));
    }

    private string Describe(string server, HttpRequestException ex)
    {
        if (_refused is not null || ex.InnerException is AuthenticationException)
        {
            return $"refused the server at {server}: {_refused ?? ex.InnerException?.Message}. The credentials' CA is not the one that server's certificate comes from: use the credentials of that cluster (--credentials FILE), or check --server";
        }

        var why = ex.InnerException is SocketException socket ? socket.SocketErrorCode.ToString() : ex.Message;
        return $"cannot reach the controller at {server} ({why}); start one with `gitorch up --repo R`, or point --server or GITORCH_SERVER at it";
    }

    private static T Parse<T>((HttpStatusCode Status, string Body) response) =>
        JsonSerializer.Deserialize<T>(response.Body, Json) ?? throw new CliException("the controller sent an empty answer");

    private static string? TryError(string body)
    {
        try
        {
            return JsonSerializer.Deserialize<ErrorModel>(body, Json)?.Error;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    public void Dispose()
    {
        _http.Dispose();
        _ca.Dispose();
    }
}
