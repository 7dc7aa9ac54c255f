using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using GitOrch.Controller.Api;

namespace GitOrch.Cli.Client;

/// <summary>Talks to a running controller's HTTP API; every failure becomes a message that says what to do.</summary>
internal sealed class ApiClient(string server) : IDisposable
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    private readonly HttpClient _http = new() { BaseAddress = new Uri(Urls.Require(server, "--server").TrimEnd('/') + "/"), Timeout = TimeSpan.FromSeconds(30) };

    public string Server => server;

    public async Task<T> GetAsync<T>(string path, CancellationToken ct) => Parse<T>(await SendAsync(HttpMethod.Get, path, ct));

    /// <summary>The raw JSON of a GET, for --output json.</summary>
    public async Task<JsonElement> GetJsonAsync(string path, CancellationToken ct) => Parse<JsonElement>(await SendAsync(HttpMethod.Get, path, ct));

    public async Task<T> PostAsync<T>(string path, CancellationToken ct) => Parse<T>(await SendAsync(HttpMethod.Post, path, ct));

    /// <summary>The raw text of a GET (container logs).</summary>
    public async Task<string> GetTextAsync(string path, CancellationToken ct) => (await SendAsync(HttpMethod.Get, path, ct)).Body;

    private async Task<(HttpStatusCode Status, string Body)> SendAsync(HttpMethod method, string path, CancellationToken ct)
    {
        try
        {
            using var response = await _http.SendAsync(new HttpRequestMessage(method, path.TrimStart('/')), ct);
            var body = await response.Content.ReadAsStringAsync(ct);
            if (!response.IsSuccessStatusCode)
            {
                var error = TryError(body) ?? $"the server at {server} answered HTTP {(int)response.StatusCode} {response.ReasonPhrase}; is it a GitOrch controller? (check --server or GITORCH_SERVER)";
                throw new CliException(error);
            }

            return (response.StatusCode, body);
        }
        catch (HttpRequestException ex)
        {
            var why = ex.InnerException is SocketException socket ? socket.SocketErrorCode.ToString() : ex.Message;
            throw new CliException($"cannot reach the controller at {server} ({why}); start one with `gitorch up --repo R`, or point --server or GITORCH_SERVER at it");
        }
        catch (TaskCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new CliException($"the controller at {server} did not answer within 30 s; check that it is running and not overloaded");
        }
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

    public void Dispose() => _http.Dispose();
}
