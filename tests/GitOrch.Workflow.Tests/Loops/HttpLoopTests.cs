using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using GitOrch.Workflow.Loops;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace GitOrch.Workflow.Tests.Loops;

/// <summary>Calling an http loop: a real Kestrel server on 127.0.0.1 answering as a loop would.</summary>
public sealed class HttpLoopTests : IAsyncLifetime
{
    private readonly ConcurrentQueue<(string Path, string ContentType, string? Token, string Body)> _requests = new();
    private WebApplication? _app;

    private string Address { get; set; } = string.Empty;

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        _app = builder.Build();
        _app.MapPost("/step", async (HttpRequest request) =>
        {
            await Record(request);
            return Results.Text("""{"set": {"status.secrets": ["db"]}, "message": "fetched 1 secret"}""", "application/json");
        });
        _app.MapPost("/broken", async (HttpRequest request) =>
        {
            await Record(request);
            return Results.Text("vault is sealed\n", statusCode: 500);
        });
        await _app.StartAsync();
        Address = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
    }

    private async Task Record(HttpRequest request)
    {
        using var reader = new StreamReader(request.Body);
        _requests.Enqueue((request.Path, request.ContentType ?? string.Empty, request.Headers["X-Token"].FirstOrDefault(), await reader.ReadToEndAsync()));
    }

    public async Task DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }
    }

    [Fact]
    public async Task A200Answer_IsTheLoopsAnswer_AndTheObjectIsPostedAsJsonWithTheHeaders()
    {
        var body = await HttpLoop.PostAsync($"{Address}/step", new Dictionary<string, string> { ["X-Token"] = "s3cret" }, """{"metadata":{"name":"web"}}""", CancellationToken.None);

        Assert.Equal("""{"set": {"status.secrets": ["db"]}, "message": "fetched 1 secret"}""", body);
        var request = Assert.Single(_requests);
        Assert.Equal(("/step", "application/json; charset=utf-8", "s3cret", """{"metadata":{"name":"web"}}"""), request);
    }

    [Fact]
    public async Task A500Answer_IsALoopCallException_WithTheStatusAndBody()
    {
        var url = $"{Address}/broken";

        var error = await Assert.ThrowsAsync<LoopCallException>(() => HttpLoop.PostAsync(url, new Dictionary<string, string>(), "{}", CancellationToken.None));

        Assert.Equal($"{url} answered HTTP 500 Internal Server Error: vault is sealed", error.Message);
    }

    [Fact]
    public async Task ARefusedConnection_IsALoopCallException_NamingTheUrl()
    {
        int port;
        using (var listener = new TcpListener(IPAddress.Loopback, 0))
        {
            listener.Start();
            port = ((IPEndPoint)listener.LocalEndpoint).Port;
            listener.Stop();
        }

        var url = $"http://127.0.0.1:{port}/step";

        var error = await Assert.ThrowsAsync<LoopCallException>(() => HttpLoop.PostAsync(url, new Dictionary<string, string>(), "{}", CancellationToken.None));

        Assert.Equal($"cannot reach {url} (ConnectionRefused); is the loop's server running?", error.Message);
    }
}
