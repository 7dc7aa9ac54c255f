using GitOrch.Controller.Api;
using GitOrch.Controller.Ui;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace GitOrch.Controller;

/// <summary>
/// The controller process: one host (Kestrel and the generic host) whose DI container holds the
/// controller's parts; the hosted services (sync loop, workflow starts, mirror, node health, state
/// guard) start and stop with it, and the API's handlers take the parts they need.
/// </summary>
public sealed class ControllerHost : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ILoggerFactory _logs;

    private ControllerHost(WebApplication app, ControllerService controller, ILoggerFactory logs)
    {
        _app = app;
        _logs = logs;
        Controller = controller;
    }

    public ControllerService Controller { get; }

    /// <summary>The address the API listens on (the real port when the options asked for port 0).</summary>
    public string Address => _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();

    public static async Task<ControllerHost> StartAsync(ControllerOptions options, Action<ILoggingBuilder>? logging, TimeProvider time, CancellationToken ct)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        logging?.Invoke(builder.Logging);

        // The parts are opened before the container is built (opening is async and may fail with a
        // clear message); they log through a factory configured like the host's.
        var logs = LoggerFactory.Create(b => logging?.Invoke(b));
        ControllerService controller;
        try
        {
            controller = await ControllerService.OpenAsync(options, logs, time, ct);
        }
        catch
        {
            logs.Dispose();
            throw;
        }

        WebApplication? app = null;
        try
        {
            builder.WebHost.UseUrls(options.Listen);
            builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(3)); // Watches (long-polls) must not hold a stop for 30 s.
            builder.Services.AddSingleton(options);
            controller.AddTo(builder.Services);
            builder.Services.ConfigureHttpJsonOptions(o =>
            {
                o.SerializerOptions.Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping;
                o.SerializerOptions.Converters.Add(new System.Text.Json.Serialization.JsonStringEnumConverter());
            });
            builder.Services.AddGitOrchUi(time);
            app = builder.Build();
            ApiEndpoints.Map(app, options.WebhookSecret);
            WorkflowEndpoints.Map(app);
            UiEndpoints.Map(app, controller, time);
            await app.StartAsync(ct);
        }
        catch
        {
            if (app is not null)
            {
                await app.DisposeAsync();
            }

            await controller.DisposeAsync();
            logs.Dispose();
            throw;
        }

        return new ControllerHost(app, controller, logs);
    }

    /// <summary>
    /// Completes only when the controller must stop on its own: faulted with a
    /// <see cref="History.Store.StateException"/> when the state folder was removed or replaced.
    /// </summary>
    public Task Completion => Controller.Sync.Fatal;

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync(CancellationToken.None);
        await _app.DisposeAsync();
        await Controller.DisposeAsync();
        _logs.Dispose();
    }
}
