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

/// <summary>The controller process: the main loop and the HTTP API on Kestrel, started and stopped together.</summary>
public sealed class ControllerHost : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly CancellationTokenSource _stop = new();
    private Task? _loop;

    private ControllerHost(WebApplication app, ControllerService controller)
    {
        _app = app;
        Controller = controller;
    }

    public ControllerService Controller { get; }

    /// <summary>The address the API listens on (the real port when the options asked for port 0).</summary>
    public string Address => _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();

    public static async Task<ControllerHost> StartAsync(ControllerOptions options, Action<ILoggingBuilder>? logging, TimeProvider time, CancellationToken ct)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        if (logging is not null)
        {
            logging(builder.Logging);
        }

        builder.WebHost.UseUrls(options.Listen);
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(3)); // Watches (long-polls) must not hold a stop for 30 s.
        builder.Services.ConfigureHttpJsonOptions(o =>
        {
            o.SerializerOptions.Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping;
            o.SerializerOptions.Converters.Add(new System.Text.Json.Serialization.JsonStringEnumConverter());
        });
        builder.Services.AddGitOrchUi(time);
        var app = builder.Build();
        var controller = await ControllerService.OpenAsync(options, app.Services.GetRequiredService<ILoggerFactory>(), time, ct);
        try
        {
            ApiEndpoints.Map(app, controller, options.WebhookSecret);
            WorkflowEndpoints.Map(app, controller);
            UiEndpoints.Map(app, controller, time);
            await app.StartAsync(ct);
        }
        catch
        {
            await controller.DisposeAsync();
            await app.DisposeAsync();
            throw;
        }

        var host = new ControllerHost(app, controller);
        host._loop = Task.Run(() => controller.RunAsync(host._stop.Token), CancellationToken.None);
        return host;
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
        _stop.Dispose();
    }
}
