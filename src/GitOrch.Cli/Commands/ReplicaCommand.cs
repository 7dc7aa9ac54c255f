using System.Globalization;
using GitOrch.Controller;
using GitOrch.Controller.Replication;
using GitOrch.Controller.Trust;
using Microsoft.Extensions.Logging;
using GitOrch.Cli.Output;

namespace GitOrch.Cli.Commands;

/// <summary><c>gitorch controller --etcd URL[,URL...]</c>: one replica of a replicated control plane.</summary>
internal static class ReplicaCommand
{
    public static ReplicaOptions Options(string endpoints, string? name, string prefix, double ttlSeconds, string listen)
    {
        var urls = endpoints.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (urls.Length == 0)
        {
            throw new CliException("--etcd names no URL; give the etcd members' client URLs, e.g. --etcd http://127.0.0.1:2379,http://10.0.0.2:2379");
        }

        foreach (var url in urls)
        {
            if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            {
                throw new CliException($"--etcd {url}: not an etcd client URL; give http(s)://HOST:PORT (for example http://127.0.0.1:2379)");
            }
        }

        if (ttlSeconds is < 2 or > 10)
        {
            throw new CliException($"--lease-ttl {ttlSeconds.ToString(CultureInfo.InvariantCulture)}: the leader's lease lives 2 to 10 seconds");
        }

        if (prefix.Length == 0 || !prefix.EndsWith('/'))
        {
            throw new CliException($"--etcd-prefix {prefix}: a key prefix ends with '/', e.g. /gitorch/");
        }

        var address = ListenAddress.Parse(listen, "--listen");
        name ??= $"{Environment.MachineName}-{address.Port.ToString(CultureInfo.InvariantCulture)}";
        if (name.Length is 0 or > 63 || !name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '.' or '_'))
        {
            throw new CliException($"--name {name}: a replica name is 1 to 63 letters, digits, '-', '.' or '_'");
        }

        return new ReplicaOptions { Endpoints = urls, Name = name, Prefix = prefix, LeaseTtl = TimeSpan.FromSeconds(ttlSeconds) };
    }

    public static async Task<int> RunAsync(ControllerOptions options, ReplicaOptions replica, TextWriter output, CancellationToken ct)
    {
        ReplicaRunner runner;
        try
        {
            runner = new ReplicaRunner(options, replica, logging => logging
                .AddFilter("Microsoft", LogLevel.Warning)
                .AddFilter("Grpc", LogLevel.Warning)
                .AddFilter("Microsoft.Extensions.Hosting", LogLevel.None)
                .AddGitOrchConsole(), TimeProvider.System);
        }
        catch (ArgumentException ex)
        {
            throw new CliException(ex.Message);
        }

        await using (runner)
        {
            var configured = false;
            runner.HostStarted += (host, leads) =>
            {
                output.WriteLine($"gitorch: replica {replica.Name} {(leads ? "leads" : "follows")}; API on {host.Address}; state in {Path.GetFullPath(options.StateDir)}");
                if (configured)
                {
                    return;
                }

                configured = true;
                var configPath = Client.UserConfig.DefaultPath();
                try
                {
                    Client.UserConfig.AddCurrent(configPath, host.AdminCredentials);
                    output.WriteLine($"gitorch: admin credentials in {host.AdminCredentialsPath}; context {Client.UserConfig.ContextName(host.Address)} is current in {configPath}");
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or CliException)
                {
                    output.WriteLine($"gitorch: warning: could not add this replica to {configPath} ({ex.Message}); use --credentials {host.AdminCredentialsPath}");
                }
            };
            await output.WriteLineAsync($"gitorch: replica {replica.Name} joins the control plane in etcd ({string.Join(", ", replica.Endpoints)}, prefix {replica.Prefix}); press Ctrl+C to stop");
            try
            {
                await runner.RunAsync(ct);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
            }
            catch (History.Store.StateException ex)
            {
                throw new CliException(ex.Message);
            }

            await output.WriteLineAsync("gitorch: stopping");
        }

        return ExitCodes.Ok;
    }
}
