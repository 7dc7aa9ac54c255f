using GitOrch.Contracts.Trust;
using GitOrch.Controller.Agents;
using GitOrch.Controller.Api;
using GitOrch.Controller.Replication;
using GitOrch.Controller.Trust;
using GitOrch.Controller.Ui;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace GitOrch.Controller;

/// <summary>
/// The controller process: one host (Kestrel and the generic host) whose DI container holds the
/// controller's parts; the hosted services (sync loop, workflow starts, mirror, node health, state
/// guard) start and stop with it, and the API's handlers take the parts they need. It serves the
/// HTTPS API and the node protocol, and on first start creates the cluster's trust
/// (<c>STATE/pki/</c>, the token store) and writes <c>STATE/admin.credentials</c> for the local user.
/// </summary>
public sealed class ControllerHost : IAsyncDisposable
{
    public const string AdminCredentialsFile = "admin.credentials";

    /// <summary>The name of the admin token that <c>STATE/admin.credentials</c> holds.</summary>
    public const string AdminTokenName = "admin";

    private readonly WebApplication _app;
    private readonly ILoggerFactory _logs;

    private ControllerHost(WebApplication app, ControllerService controller, ILoggerFactory logs, ClusterPki pki, TokenStore tokens, string address, string? agentAddress, ClusterCredentials admin, string adminPath, IReplicaRole role)
    {
        Role = role;
        _app = app;
        _logs = logs;
        Controller = controller;
        Pki = pki;
        Tokens = tokens;
        Address = address;
        AgentAddress = agentAddress;
        AdminCredentials = admin;
        AdminCredentialsPath = adminPath;
    }

    public ControllerService Controller { get; }

    /// <summary>This process's place among the replicas: <see cref="ControllerOptions.Replica"/>, or the only replica (always the leader).</summary>
    public IReplicaRole Role { get; }

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

    public static async Task<ControllerHost> StartAsync(ControllerOptions options, Action<ILoggingBuilder>? logging, TimeProvider time, CancellationToken ct, Replication.ReplicaContext? replica = null)
    {
        var listen = ListenAddress.Parse(options.Listen, "--listen");
        var agentListen = options.AgentListen is { } a ? ListenAddress.Parse(a, "--agent-listen") : null;

        // Steps that write the store block their thread for a durable commit; with thousands of
        // them in flight the pool would grow one thread at a time while API requests wait behind
        // them. Enough threads from the start keep the API answering during a large apply.
        ThreadPool.GetMinThreads(out var workers, out var io);
        ThreadPool.SetMinThreads(Math.Max(workers, 64), io);
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        logging?.Invoke(builder.Logging);

        // The parts are opened before the container is built (opening is async and may fail with a
        // clear message); they log through a factory configured like the host's.
        var logs = LoggerFactory.Create(b => logging?.Invoke(b));
        ControllerService controller;
        try
        {
            controller = await ControllerService.OpenAsync(options, logs, time, ct, replica: replica);
        }
        catch
        {
            logs.Dispose();
            throw;
        }

        var single = options.Replica is null ? new SingleReplicaRole(Environment.MachineName, time) : null;
        var role = options.Replica ?? single!;
        ClusterPki? pki = null;
        TokenStore? tokens = null;
        WebApplication? app = null;
        List<ListenOptions> api = [];
        List<ListenOptions> agents = [];
        string address;
        string? agentAddress;
        string adminPath;
        ClusterCredentials admin;
        var started = false;
        try
        {
            pki = ClusterPki.LoadOrCreate(options.StateDir, TrustSetup.HostNames(listen, agentListen), time);
            tokens = new TokenStore(options.StateDir, time, replica?.Journal);
            var trustPki = pki;
            builder.WebHost.UseKestrelHttpsConfiguration();
            builder.WebHost.ConfigureKestrel(k =>
            {
                api = TrustSetup.Listen(k, listen, HttpProtocols.Http1AndHttp2, trustPki);
                if (agentListen is not null)
                {
                    agents = TrustSetup.Listen(k, agentListen, HttpProtocols.Http2, trustPki);
                }
            });
            builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(3)); // Watches must not hold a stop for 30 s.
            builder.Services.AddSingleton(options);
            controller.AddTo(builder.Services);
            builder.Services.AddSingleton(new ControllerRef { Value = controller });
            TrustSetup.AddServices(builder.Services, pki, tokens);
            ReplicaEndpoints.AddServices(builder.Services, role);
            builder.Services.AddGrpc(o => o.Interceptors.Add<State.StateGoneGrpcRefusal>());
            builder.Services.ConfigureHttpJsonOptions(o =>
            {
                o.SerializerOptions.Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping;
                o.SerializerOptions.Converters.Add(new System.Text.Json.Serialization.JsonStringEnumConverter());
            });
            builder.Services.Configure<Microsoft.AspNetCore.Routing.RouteHandlerOptions>(o => o.ThrowOnBadRequest = true); // Answered by Api.BadRequestAnswer.
            builder.Services.AddGitOrchUi(time);
            app = builder.Build();
            TrustSetup.UsePipeline(app);
            ReplicaEndpoints.UsePipeline(app);
            app.UseMiddleware<State.StateGoneRefusal>();
            app.UseMiddleware<Api.BadRequestAnswer>();
            var secured = TrustSetup.Secured(app).LeaderOnlyWrites();
            ApiEndpoints.Map(secured, options.WebhookSecret);
            WorkflowEndpoints.Map(secured);
            TokenEndpoints.Map(secured, tokens, pki);
            app.MapGrpcService<NodeGrpcService>();

            // The web view: its pages need a UiSession; minting a login code needs a viewer credential (a POST, yet no write).
            UiEndpoints.Map(app, controller, time).RequireAuthorization(Identities.ViewerPolicy);
            await app.StartAsync(ct);
            started = true;
            controller.WatchServices(); // The host started them; a service that dies stops the controller (Completion), not only the host.

            address = listen.ClientUrl(api[0].IPEndPoint!.Port);
            agentAddress = agents.Count > 0 ? agentListen!.ClientUrl(agents[0].IPEndPoint!.Port) : null;
            single?.Serve(address, agentAddress);
            adminPath = Path.Combine(options.StateDir, AdminCredentialsFile);
            admin = AdminCredentialsFor(adminPath, address, pki, tokens, replica);
            if (replica is null || replica.Leads)
            {
                await WarmUpAsync(admin, ct); // A follower's token may not be replicated yet.
            }

            admin.Save(adminPath);
        }
        catch
        {
            if (app is not null)
            {
                if (started)
                {
                    await app.StopAsync(CancellationToken.None);
                }

                await app.DisposeAsync();
            }

            await controller.DisposeAsync();
            tokens?.Dispose();
            pki?.Dispose();
            logs.Dispose();
            throw;
        }

        return new ControllerHost(app, controller, logs, pki, tokens, address, agentAddress, admin, adminPath, role);
    }

    /// <summary>
    /// One request to the API's own address before the controller says it listens (and before it
    /// writes <c>admin.credentials</c>): the first TLS handshake, routing, authentication and the
    /// status answer carry about 100 ms of one-time costs on an idle machine, and several times
    /// that while the first apply holds the cores, which the first user's call would otherwise pay.
    /// A read (nothing is written or audited); a failure only leaves the path cold.
    /// </summary>
    private static async Task WarmUpAsync(ClusterCredentials admin, CancellationToken ct)
    {
        try
        {
            using var client = admin.CreateHttpClient(TimeSpan.FromSeconds(10));
            using var answer = await client.GetAsync("api/v1/status?limit=1", ct);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            // Cold, not broken: the API answers anyway.
        }
    }

    /// <summary>Keeps the admin token of <c>STATE/admin.credentials</c> while it is valid (updating the address); otherwise issues a new one. The caller saves it.</summary>
    private static ClusterCredentials AdminCredentialsFor(string path, string address, ClusterPki pki, TokenStore tokens, Replication.ReplicaContext? replica)
    {
        if (replica is not null)
        {
            return Replication.ReplicaAdmin.Credentials(address, pki, tokens, replica);
        }

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

        return credentials;
    }

    /// <summary>
    /// Completes only when the controller must stop on its own: faulted with a
    /// <see cref="History.Store.StateException"/> when the state folder was removed or replaced.
    /// </summary>
    public Task Completion => Controller.Guard.Stopped;

    public async ValueTask DisposeAsync()
    {
        try
        {
            await _app.StopAsync(CancellationToken.None);
            await _app.DisposeAsync();
        }
        finally
        {
            try
            {
                await Controller.DisposeAsync();
            }
            finally
            {
                Tokens.Dispose();
                Pki.Dispose();
                _logs.Dispose();
            }
        }
    }
}
