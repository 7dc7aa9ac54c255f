using GitOrch.Contracts.Trust;
using GitOrch.Controller.Agents;
using GitOrch.Controller.Api;
using GitOrch.Controller.Trust;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace GitOrch.Controller;

/// <summary>
/// The controller process: the main loop, the HTTPS API and the node protocol on Kestrel, started
/// and stopped together. On first start it creates the cluster's trust (<c>STATE/pki/</c>, the
/// token store) and writes <c>STATE/admin.credentials</c> for the local user.
/// </summary>
public sealed class ControllerHost : IAsyncDisposable
{
    public const string AdminCredentialsFile = "admin.credentials";

    /// <summary>The name of the admin token that <c>STATE/admin.credentials</c> holds.</summary>
    public const string AdminTokenName = "admin";

    private readonly WebApplication _app;
    private readonly CancellationTokenSource _stop = new();
    private Task? _loop;

    private ControllerHost(WebApplication app, ControllerService controller, ClusterPki pki, TokenStore tokens, string address, string? agentAddress, ClusterCredentials admin, string adminPath)
    {
        _app = app;
        Controller = controller;
        Pki = pki;
        Tokens = tokens;
        Address = address;
        AgentAddress = agentAddress;
        AdminCredentials = admin;
        AdminCredentialsPath = adminPath;
    }

    public ControllerService Controller { get; }

    public ClusterPki Pki { get; }

    public TokenStore Tokens { get; }

    /// <summary>The API's address as a client on this machine reaches it (the real port when the options asked for port 0).</summary>
    public string Address { get; }

    /// <summary>The node protocol's address (gRPC over mutual TLS), when the options asked for one.</summary>
    public string? AgentAddress { get; }

    /// <summary>The admin credentials written to <c>STATE/admin.credentials</c>.</summary>
    public ClusterCredentials AdminCredentials { get; }

    public string AdminCredentialsPath { get; }

    /// <summary>The web host's services (its route table, for tests that walk every endpoint).</summary>
    public IServiceProvider Services => _app.Services;

    public static async Task<ControllerHost> StartAsync(ControllerOptions options, Action<ILoggingBuilder>? logging, TimeProvider time, CancellationToken ct)
    {
        var listen = ListenAddress.Parse(options.Listen, "--listen");
        var agentListen = options.AgentListen is { } a ? ListenAddress.Parse(a, "--agent-listen") : null;
        var pki = ClusterPki.LoadOrCreate(options.StateDir, TrustSetup.HostNames(listen, agentListen), time);
        var tokens = new TokenStore(options.StateDir, time);
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        if (logging is not null)
        {
            logging(builder.Logging);
        }

        List<ListenOptions> api = [];
        List<ListenOptions> agents = [];
        builder.WebHost.UseKestrelHttpsConfiguration();
        builder.WebHost.ConfigureKestrel(k =>
        {
            api = TrustSetup.Listen(k, listen, HttpProtocols.Http1AndHttp2, pki);
            if (agentListen is not null)
            {
                agents = TrustSetup.Listen(k, agentListen, HttpProtocols.Http2, pki);
            }
        });

        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(3)); // Watches must not hold a stop for 30 s.
        builder.Services.ConfigureHttpJsonOptions(o =>
        {
            o.SerializerOptions.Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping;
            o.SerializerOptions.Converters.Add(new System.Text.Json.Serialization.JsonStringEnumConverter());
        });
        var controllerRef = new ControllerRef();
        builder.Services.AddSingleton(controllerRef);
        TrustSetup.AddServices(builder.Services, pki, tokens);
        var app = builder.Build();
        ControllerService? controller = null;
        try
        {
            controller = await ControllerService.OpenAsync(options, app.Services.GetRequiredService<ILoggerFactory>(), time, ct);
            controllerRef.Value = controller;
            TrustSetup.UsePipeline(app);
            var secured = TrustSetup.Secured(app);
            ApiEndpoints.Map(secured, controller, options.WebhookSecret);
            WorkflowEndpoints.Map(secured, controller);
            TokenEndpoints.Map(secured, tokens, pki);
            app.MapGrpcService<NodeGrpcService>();
            await app.StartAsync(ct);
        }
        catch
        {
            if (controller is not null)
            {
                await controller.DisposeAsync();
            }

            await app.DisposeAsync();
            tokens.Dispose();
            pki.Dispose();
            throw;
        }

        var address = listen.ClientUrl(api[0].IPEndPoint!.Port);
        var agentAddress = agents.Count > 0 ? agentListen!.ClientUrl(agents[0].IPEndPoint!.Port) : null;
        var adminPath = Path.Combine(options.StateDir, AdminCredentialsFile);
        var admin = AdminCredentialsFor(adminPath, address, pki, tokens);
        var host = new ControllerHost(app, controller, pki, tokens, address, agentAddress, admin, adminPath);
        host._loop = Task.Run(() => controller.RunAsync(host._stop.Token), CancellationToken.None);
        return host;
    }

    /// <summary>Keeps the admin token of <c>STATE/admin.credentials</c> while it is valid (updating the address); otherwise issues a new one.</summary>
    private static ClusterCredentials AdminCredentialsFor(string path, string address, ClusterPki pki, TokenStore tokens)
    {
        ClusterCredentials? existing = null;
        if (File.Exists(path))
        {
            existing = ClusterCredentials.Parse(File.ReadAllText(path), out _);
        }

        ClusterCredentials credentials;
        if (existing is not null && existing.CaCertificate.Trim() == pki.CaPem.Trim() && tokens.Check(existing.Token, TokenStore.ApiKind).Token is { Role: Identities.AdminRole })
        {
            credentials = existing with { Server = address };
        }
        else
        {
            tokens.Revoke(AdminTokenName);
            var secret = tokens.Create(AdminTokenName, TokenStore.ApiKind, Identities.AdminRole, ttl: null, createdBy: "controller (first start)");
            credentials = new ClusterCredentials { Server = address, CaCertificate = pki.CaPem, Token = secret };
        }

        credentials.Save(path);
        return credentials;
    }

    /// <summary>Waits until the main loop ends (it ends when the host is stopped).</summary>
    public Task Completion => _loop ?? Task.CompletedTask;

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        try
        {
            await Completion;
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }

        await _app.StopAsync();
        await _app.DisposeAsync();
        await Controller.DisposeAsync();
        Tokens.Dispose();
        Pki.Dispose();
        _stop.Dispose();
    }
}
