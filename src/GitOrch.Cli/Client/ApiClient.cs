using System.CommandLine;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Text.Json;
using GitOrch.Contracts.Replication;
using GitOrch.Contracts.Trust;
using GitOrch.Controller.Api;

namespace GitOrch.Cli.Client;

/// <summary>
/// Talks to a running controller's HTTPS API with the resolved credentials: the server's
/// certificate must chain to the credentials' CA (validation is never turned off), and every
/// request carries the bearer token (sent only once the TLS check passed). Several servers are
/// tried in turn; a follower replica's refusal (HTTP 503) that names the leader sends the request
/// there once, over the same check. Every failure becomes a message that says what to do.
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
    private string _active;

    public ApiClient(IReadOnlyList<string> servers, ClusterCredentials credentials)
    {
        _servers = servers;
        _active = servers[0];
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

    /// <summary>The server that answered last (a leader a follower named, when the client followed it).</summary>
    public string Server => _active;

    public async Task<T> GetAsync<T>(string path, CancellationToken ct) => Parse<T>(await SendAsync(HttpMethod.Get, path, null, ct));

    /// <summary>The raw JSON of a GET, for --output json.</summary>
    public async Task<JsonElement> GetJsonAsync(string path, CancellationToken ct) => Parse<JsonElement>(await SendAsync(HttpMethod.Get, path, null, ct));

    public async Task<T> PostAsync<T>(string path, CancellationToken ct) => Parse<T>(await SendAsync(HttpMethod.Post, path, null, ct));

    public async Task<T> PostAsync<T>(string path, object body, CancellationToken ct) => Parse<T>(await SendAsync(HttpMethod.Post, path, body, ct));

    /// <summary>The raw text of a GET (container logs).</summary>
    public async Task<string> GetTextAsync(string path, CancellationToken ct) => (await SendAsync(HttpMethod.Get, path, null, ct)).Body;

    private async Task<(HttpStatusCode Status, string Body)> SendAsync(HttpMethod method, string path, object? body, CancellationToken ct)
    {
        // The replica that answered last first, then the others in the order given. A follower's
        // refusal may name the leader: it is tried next, once per request, if its URL is https (its
        // certificate must then chain to the credentials' CA before the token is sent: the TLS check
        // runs first). A refusal naming no leader moves on to the next server.
        var queue = Order();
        var answers = new List<string>();
        var followed = false;
        var refusals = 0;
        for (var i = 0; i < queue.Count; i++)
        {
            var server = queue[i];
            string text;
            HttpResponseMessage? response = null;
            try
            {
                using var request = new HttpRequestMessage(method, new Uri(new Uri(server.TrimEnd('/') + "/"), path.TrimStart('/')));
                if (body is not null)
                {
                    request.Content = JsonContent.Create(body, options: Json);
                }

                response = await _http.SendAsync(request, ct);
                text = await response.Content.ReadAsStringAsync(ct);
            }
            catch (HttpRequestException ex)
            {
                response?.Dispose();
                answers.Add(Describe(server, ex));
                _refused = null;
                continue;
            }
            catch (TaskCanceledException) when (!ct.IsCancellationRequested)
            {
                response?.Dispose();
                answers.Add($"the controller at {server} did not answer within 30 s; check that it is running and not overloaded");
                continue;
            }

            using (response)
            {
                if (response.StatusCode == HttpStatusCode.ServiceUnavailable)
                {
                    refusals++;
                    var refusal = TryNotLeader(text);
                    answers.Add($"{server}: {refusal?.Error ?? TryError(text) ?? $"HTTP 503 {response.ReasonPhrase}"}");
                    if (!followed && refusal?.Leader is { } leader)
                    {
                        if (!LeaderHint.IsFollowable(leader, out var why))
                        {
                            answers.Add($"not following the leader it named: {why}");
                        }
                        else if (!queue.Take(i + 1).Any(s => LeaderHint.SameServer(s, leader)))
                        {
                            followed = true;
                            queue.RemoveAll(s => LeaderHint.SameServer(s, leader));
                            queue.Insert(i + 1, leader.TrimEnd('/'));
                        }
                    }

                    continue;
                }

                _active = server;
                if (!response.IsSuccessStatusCode)
                {
                    var error = TryError(text) ?? $"the server at {server} answered HTTP {(int)response.StatusCode} {response.ReasonPhrase}; is it a GitOrch controller? (check --server or GITORCH_SERVER)";
                    throw new CliException(error);
                }

                return (response.StatusCode, text);
            }
        }

        throw new CliException(refusals > 0
            ? $"no controller replica served the request; each answered: {string.Join("; ", answers)}. Give every replica's URL with --server URL,URL,... (see `gitorch status` on any replica)"
            : string.Join("; ", answers));
    }

    /// <summary>The servers to try: the one that answered last, then the configured ones in order.</summary>
    private List<string> Order()
    {
        var start = _servers.ToList().FindIndex(s => LeaderHint.SameServer(s, _active));
        var order = start < 0
            ? [_active, .. _servers.Where(s => !LeaderHint.SameServer(s, _active))]
            : _servers.Skip(start).Concat(_servers.Take(start)).ToList();
        return order;
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

    private static NotLeaderAnswer? TryNotLeader(string body)
    {
        try
        {
            return JsonSerializer.Deserialize<NotLeaderAnswer>(body, Json) is { Error: not null, Replica: not null } answer ? answer : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

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
