using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace GitOrch.Controller.Tests.Api;

/// <summary>
/// Requests a client could send but no client of ours does: parameters that are not numbers, missing
/// ones, bodies that are not JSON or not there. Each is refused with a 400 that says, in the API's
/// JSON error form, which parameter was wrong; none is a server error, and the API keeps answering.
/// A stranger without credentials sending the same gets the 401 before anything is read.
/// </summary>
public sealed class MalformedRequestTests(ApiFixture api) : IClassFixture<ApiFixture>
{
    public static TheoryData<string, string, string?, string> Requests => new()
    {
        { "GET", "/api/v1/status?limit=abc", null, "limit" },
        { "GET", "/api/v1/objects/Pod/worker/diff?namespace=demo&from=one&to=2", null, "from" },
        { "GET", "/api/v1/objects/Pod/worker/diff?namespace=demo", null, "from" },
        { "GET", "/api/v1/objects/Pod/worker/logs?namespace=demo&limit=99999999999999999999", null, "limit" },
        { "GET", "/api/v1/objects/Pod/worker/container-logs?namespace=demo&tail=-x", null, "tail" },
        { "POST", "/api/v1/tokens", "{\"name\": ", "request" },
        { "POST", "/api/v1/tokens", "[1, 2]", "request" },
        { "POST", "/api/v1/tokens", "", "request" },
        { "POST", "/api/v1/join-tokens", "{\"ttlSeconds\": \"soon\"}", "request" },
    };

    [Theory]
    [MemberData(nameof(Requests))]
    public async Task AMalformedRequest_Is400NamingTheParameter_AndTheApiKeepsAnswering(string method, string path, string? body, string parameter)
    {
        using var response = await SendAsync(api.Client, method, path, body);
        var text = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        using var json = JsonDocument.Parse(text);
        Assert.Contains(parameter, json.RootElement.GetProperty("error").GetString(), StringComparison.Ordinal);

        using var status = await api.Client.GetAsync(new Uri("/api/v1/status?limit=1", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, status.StatusCode);
    }

    [Theory]
    [MemberData(nameof(Requests))]
    public async Task AStrangersMalformedRequest_Is401BeforeAnythingIsRead(string method, string path, string? body, string parameter)
    {
        _ = parameter;
        using var stranger = new HttpClient(new HttpClientHandler { ServerCertificateCustomValidationCallback = HttpClientHandler.DangerousAcceptAnyServerCertificateValidator })
        {
            BaseAddress = api.Client.BaseAddress,
        };
        using var response = await SendAsync(stranger, method, path, body);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    private static Task<HttpResponseMessage> SendAsync(HttpClient client, string method, string path, string? body)
    {
        var request = new HttpRequestMessage(new HttpMethod(method), new Uri(path, UriKind.Relative));
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8);
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        }

        return client.SendAsync(request);
    }
}
