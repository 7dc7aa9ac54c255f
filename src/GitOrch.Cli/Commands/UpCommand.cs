using System.CommandLine;
using System.Globalization;
using GitOrch.Controller;
using GitOrch.Controller.Nodes;
using GitOrch.Controller.Source;
using GitOrch.History.Store;
using Microsoft.Extensions.Logging;
using GitOrch.Cli.Output;

namespace GitOrch.Cli.Commands;

/// <summary>
/// <c>gitorch up</c> (controller and the local node in one process, embedded state) and
/// <c>gitorch controller</c> (the control plane alone).
/// </summary>
internal static class UpCommand
{
    public const string SecretVariable = "GITORCH_WEBHOOK_SECRET";

    /// <summary>How long <c>--stop-pods</c> lets pods stop gracefully on Ctrl+C before killing them.</summary>
    public static readonly TimeSpan StopPodsDeadline = TimeSpan.FromSeconds(5);

    public static Command Create(bool withLocalNode)
    {
        var repo = new Option<string>("--repo") { Description = "Config repo: a local path (or a folder inside one) or a URL", Required = true, HelpName = "R" };
        var path = new Option<string?>("--path") { Description = "Folder of the repo that holds the manifests", HelpName = "P" };
        var branch = new Option<string?>("--branch") { Description = "Branch to follow (default: the current branch, or main for a URL)" };
        var state = new Option<string>("--state") { Description = "State folder (SQLite store, lock)", DefaultValueFactory = _ => ".gitorch", HelpName = "DIR" };
        var listen = new Option<string>("--listen") { Description = "Address of the HTTPS API", DefaultValueFactory = _ => ControllerOptions.DefaultListen, HelpName = "URL" };
        var agentListen = new Option<string>("--agent-listen")
        {
            Description = "Address of the node protocol (gRPC with mutual TLS) that agents join",
            DefaultValueFactory = _ => withLocalNode ? ControllerOptions.DefaultAgentListenUp : ControllerOptions.DefaultAgentListenController,
            HelpName = "URL",
        };
        var poll = new Option<double>("--poll") { Description = "Seconds between polls of the branch", DefaultValueFactory = _ => 5, HelpName = "SECONDS" };
        var secretFile = new Option<string?>("--webhook-secret-file") { Description = $"File holding the push webhook's shared secret (or set {SecretVariable})", HelpName = "FILE" };
        var node = new Option<string?>("--node") { Description = "Name of the local node (default: the host name)", HelpName = "NAME" };
        var forge = new ForgeOptions();
        var etcd = new Option<string?>("--etcd") { Description = "etcd client URLs (comma-separated): keep the state in etcd and run as one replica of a replicated control plane (docs/replication.md)", HelpName = "URL[,URL...]" };
        var replicaName = new Option<string?>("--name") { Description = "This replica's name, unique in the cluster (with --etcd; default: HOST-PORT of --listen)", HelpName = "NAME" };
        var etcdPrefix = new Option<string>("--etcd-prefix") { Description = "Key prefix of the cluster's state in etcd (with --etcd)", DefaultValueFactory = _ => GitOrch.Controller.Replication.ReplicaOptions.DefaultPrefix, HelpName = "PREFIX" };
        var leaseTtl = new Option<double>("--lease-ttl") { Description = "Seconds a leader's lease lives without renewal, 2 to 10 (with --etcd)", DefaultValueFactory = _ => 10, HelpName = "SECONDS" };
        var stopPods = new Option<bool>("--stop-pods") { Description = "On exit, stop the local node's pods too (by default they keep running and the next start re-adopts them)" };

        var command = withLocalNode
            ? new Command("up", "Run the controller and a local node in one process, with embedded state (.gitorch/)")
            : new Command("controller", "Run the control plane: follow the config repo, keep history, serve the API");
        command.Add(repo);
        command.Add(path);
        command.Add(branch);
        command.Add(state);
        command.Add(listen);
        command.Add(agentListen);
        command.Add(poll);
        command.Add(secretFile);
        forge.AddTo(command);
        if (withLocalNode)
        {
            command.Add(node);
            command.Add(stopPods);
        }
        else
        {
            command.Add(etcd);
            command.Add(replicaName);
            command.Add(etcdPrefix);
            command.Add(leaseTtl);
        }

        command.SetAction(async (parse, ct) =>
        {
            using var heap = NativeHeap.ForLongRunningVerb(TimeProvider.System);
            var options = new ControllerOptions
            {
                Repo = parse.GetRequiredValue(repo),
                Path = parse.GetValue(path),
                Branch = parse.GetValue(branch),
                StateDir = parse.GetRequiredValue(state),
                Listen = Urls.Require(parse.GetRequiredValue(listen), "--listen"),
                AgentListen = Urls.Require(parse.GetRequiredValue(agentListen), "--agent-listen"),
                Poll = PollInterval(parse.GetValue(poll)),
                WebhookSecret = ReadSecret(parse.GetValue(secretFile)),
                Nodes = withLocalNode ? [NodeInfo.Local(parse.GetValue(node))] : [],
                GitHub = forge.Read(parse),
            };
            if (!withLocalNode && parse.GetValue(etcd) is { } endpoints)
            {
                var replica = ReplicaCommand.Options(endpoints, parse.GetValue(replicaName), parse.GetRequiredValue(etcdPrefix), parse.GetValue(leaseTtl), options.Listen);
                return await ReplicaCommand.RunAsync(options, replica, parse.InvocationConfiguration.Output, ct);
            }

            return await RunAsync(options, parse.InvocationConfiguration.Output, ct, withLocalNode && parse.GetValue(stopPods));
        });
        return command;
    }

    /// <summary>The seconds between polls: more than 0 (a value below 0.1 s polls every 0.1 s).</summary>
    private static TimeSpan PollInterval(double seconds) =>
        double.IsFinite(seconds) && seconds > 0
            ? TimeSpan.FromSeconds(Math.Max(0.1, seconds))
            : throw new CliException($"--poll {seconds.ToString(System.Globalization.CultureInfo.InvariantCulture)}: give the seconds between polls of the branch as a number greater than 0 (for example 5, or 0.5)");

    internal static async Task<int> RunAsync(ControllerOptions options, TextWriter output, CancellationToken ct, bool stopPods = false)
    {
        ControllerHost host;
        try
        {
            host = await ControllerHost.StartAsync(options, logging => logging
                .AddFilter("Microsoft", LogLevel.Warning)
                .AddFilter("Grpc", LogLevel.Warning) // A node hanging up its streams (a restart, a stop) is no news.
                .AddFilter("Microsoft.Extensions.Hosting", LogLevel.None) // Start failures are reported once, in our words.
                .AddGitOrchConsole(), TimeProvider.System, ct);
        }
        catch (Exception ex) when (ex is StateException or SourceException)
        {
            throw new CliException(ex.Message);
        }
        catch (IOException ex) when (ex.Message.Contains("address", StringComparison.OrdinalIgnoreCase))
        {
            throw new CliException($"cannot listen on {options.Listen} or {options.AgentListen} ({ex.Message}); another process uses it: stop it or give --listen / --agent-listen another address");
        }
        catch (ArgumentException ex)
        {
            throw new CliException(ex.Message);
        }

        // The same user's CLI finds this controller with no flags: its context becomes current.
        var configPath = Client.UserConfig.DefaultPath();
        try
        {
            Client.UserConfig.AddCurrent(configPath, host.AdminCredentials);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or CliException)
        {
            await output.WriteLineAsync($"gitorch: warning: could not add this controller to {configPath} ({ex.Message}); use --credentials {host.AdminCredentialsPath}");
        }

        await using (host)
        {
            // up: the local node's agent runs in this process and talks to the controller over its API.
            GitOrch.Agent.NodeAgent? agent = null;
            Task? agentRun = null;
            using var agentStop = CancellationTokenSource.CreateLinkedTokenSource(ct);
            using var agentLogs = LoggerFactory.Create(b => b.AddGitOrchConsole());
            if (options.Nodes.FirstOrDefault() is { } local && host.AgentAddress is { } agentAddress)
            {
                if (!OperatingSystem.IsWindows())
                {
                    // The local agent's state is inside the controller's (0700): make that folder
                    // traversable, not listable (0711), so the runc user namespace's root and process
                    // pods reach their folders and the image store; every file in it stays 0600.
                    File.SetUnixFileMode(options.StateDir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute);
                }

                // The local agent follows the same rules as any other (gRPC, mutual TLS, pinned CA);
                // it needs no join: the controller issues its node certificate directly.
                var agentState = Path.Combine(options.StateDir, "agent");
                LocalNodeIdentity(agentState, local.Name, host.Pki, host.Tokens);
                agent = new GitOrch.Agent.NodeAgent(new GitOrch.Agent.AgentOptions
                {
                    Server = agentAddress,
                    Node = local.Name,
                    StateDir = agentState,
                    CpuMillis = local.CpuMillis,
                    MemoryBytes = local.MemoryBytes,
                    Labels = local.Labels,
                }, agentLogs, TimeProvider.System);
                agentRun = agent.RunAsync(agentStop.Token);
            }

            var status = host.Controller.Status;
            await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                $"gitorch: following {status.Repo} (branch {status.Branch}{(status.Path.Length > 0 ? ", path " + status.Path : string.Empty)}); API on {host.Address}; state in {status.StateDir}"));
            await output.WriteLineAsync($"gitorch: admin credentials in {host.AdminCredentialsPath}; context {Client.UserConfig.ContextName(host.Address)} is current in {configPath}");
            if (host.AgentAddress is { } nodes)
            {
                await output.WriteLineAsync($"gitorch: nodes join at {nodes} (gitorch node token prints a join token)");
            }
            foreach (var n in options.Nodes)
            {
                await output.WriteLineAsync($"gitorch: local node {n.Name} ({n.CpuMillis}m cpu, {n.MemoryBytes / (1024 * 1024)}Mi memory)");
            }

            await output.WriteLineAsync("gitorch: press Ctrl+C to stop");
            StateException? fatal = null;
            try
            {
                // Runs until Ctrl+C, or until the controller must stop on its own (its state folder is gone).
                await host.Completion.WaitAsync(ct);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                await output.WriteLineAsync(stopPods || agent is null
                    ? "gitorch: stopping"
                    : "gitorch: stopping; the node's pods keep running (the next start re-adopts them; --stop-pods stops them on exit)");
            }
            catch (StateException ex)
            {
                fatal = ex;
            }

            if (agent is not null)
            {
                if (stopPods)
                {
                    // Ctrl+C stops within 10 s at any size: pods get their grace period up to this
                    // deadline, then are killed.
                    using var deadline = new CancellationTokenSource(StopPodsDeadline);
                    try
                    {
                        await agent.StopAllAsync(deadline.Token);
                    }
                    catch (OperationCanceledException) when (deadline.IsCancellationRequested)
                    {
                        await output.WriteLineAsync($"gitorch: pods still stopping after {StopPodsDeadline.TotalSeconds:0} s were killed");
                    }
                }

                await agentStop.CancelAsync();
                try
                {
                    await agentRun!;
                }
                catch (OperationCanceledException)
                {
                    // Stopping.
                }

                await agent.DisposeAsync();
            }

            if (fatal is not null)
            {
                throw new CliException(fatal.Message);
            }
        }

        return ExitCodes.Ok;
    }

    /// <summary>Gives the local agent a node certificate from this cluster's CA, unless it holds a valid one for this node already.</summary>
    private static void LocalNodeIdentity(string agentState, string node, GitOrch.Controller.Trust.ClusterPki pki, GitOrch.Controller.Trust.TokenStore tokens)
    {
        if (GitOrch.Agent.Trust.AgentIdentity.Exists(agentState))
        {
            try
            {
                using var identity = GitOrch.Agent.Trust.AgentIdentity.Load(agentState);
                if (identity.Node == node && identity.Ca.RawData.AsSpan().SequenceEqual(pki.Ca.RawData)
                    && GitOrch.Contracts.Trust.CaTrust.ChainsTo(identity.Certificate, pki.Ca, GitOrch.Contracts.Trust.CaTrust.ClientAuth, out _)
                    && tokens.NodeCertificateRefusal(identity.Certificate.SerialNumber, node) is null)
                {
                    return;
                }
            }
            catch (InvalidOperationException)
            {
                // Unreadable: issue a new one.
            }
        }

        using var certificate = pki.IssueNodeCertificate(node);
        tokens.RecordNodeCertificate(certificate.SerialNumber, node);
        GitOrch.Agent.Trust.AgentIdentity.Save(agentState, pki.CaPem, certificate);
    }

    private static string? ReadSecret(string? file)
    {
        if (file is not null)
        {
            try
            {
                return File.ReadAllText(file).Trim();
            }
            catch (IOException ex)
            {
                throw new CliException($"cannot read the webhook secret from {file} ({ex.Message})");
            }
        }

        return Environment.GetEnvironmentVariable(SecretVariable) is { Length: > 0 } secret ? secret : null;
    }
}
