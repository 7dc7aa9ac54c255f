using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Http.Json;
using System.Text;
using GitOrch.Contracts.Trust;
using GitOrch.Controller.Api;
using GitOrch.Tests.Shared;

namespace GitOrch.EndToEnd.Tests.Support;

/// <summary>
/// A real <c>gitorch</c> process (the built CLI), with its output captured. A controller (<c>up</c>,
/// <c>controller</c>) listens on free ports (API and node endpoint), writes its user context to a
/// config file of its own (never the real ~/.config/gitorch), and its admin credentials are used
/// by <see cref="WaitForAsync"/> and by <see cref="Command.Run"/> for <c>--server</c> of it.
/// </summary>
internal sealed class GitorchProcess : IAsyncDisposable
{
    private static readonly ConcurrentDictionary<string, string> CredentialsByServer = new(StringComparer.Ordinal);

    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private HttpClient? _http;

    private GitorchProcess(Process process, string server, string? agentServer, string credentialsPath, string configPath)
    {
        _process = process;
        Server = server;
        AgentServer = agentServer;
        CredentialsPath = credentialsPath;
        ConfigPath = configPath;
        CredentialsByServer[server] = credentialsPath;
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public string Server { get; }

    /// <summary>The node endpoint (gRPC, mutual TLS) of a controller.</summary>
    public string? AgentServer { get; }

    /// <summary>STATE/admin.credentials of a controller.</summary>
    public string CredentialsPath { get; }

    /// <summary>The user config this process writes its context to (GITORCH_CONFIG).</summary>
    public string ConfigPath { get; }

    /// <summary>The admin credentials file of the controller at <paramref name="server"/>, if a test started it.</summary>
    public static string? CredentialsFor(string server) => CredentialsByServer.GetValueOrDefault(server);

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    public bool HasExited => _process.HasExited;

    public int Pid => _process.Id;

    public int ExitCode => _process.ExitCode;

    /// <summary>Starts <c>gitorch VERB ARGS --listen https://127.0.0.1:FREE --agent-listen https://127.0.0.1:FREE</c>.</summary>
    public static GitorchProcess Start(string workDir, params string[] args) => Start(workDir, new Dictionary<string, string>(), args);

    /// <summary>Starts a controller with extra environment variables.</summary>
    public static GitorchProcess Start(string workDir, IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        // A replica keeps its ports across restarts (the others and the agents find it there): it passes --listen.
        var listenIndex = Array.IndexOf(args, "--listen");
        var server = listenIndex >= 0 ? args[listenIndex + 1] : $"https://127.0.0.1:{LoopbackPorts.Free()}";
        string? agentServer = null;
        if (!args.Contains("--agent-listen"))
        {
            agentServer = $"https://127.0.0.1:{LoopbackPorts.Free()}";
            args = [.. args, "--agent-listen", agentServer];
        }
        else
        {
            agentServer = args[Array.IndexOf(args, "--agent-listen") + 1];
        }

        var stateIndex = Array.IndexOf(args, "--state");
        var state = stateIndex >= 0 ? args[stateIndex + 1] : Path.Combine(workDir, ".gitorch");
        var config = Path.Combine(Path.GetTempPath(), "gitorch-e2e-config-" + Guid.NewGuid().ToString("N"), "config");
        // SIGINT as a terminal's Ctrl+C delivers it, whatever started the tests: a shell's background
        // job is started with SIGINT ignored, its children inherit that, and the runtime keeps an
        // ignored SIGINT ignored. perl restores the default and execs (same pid) the CLI.
        var info = new ProcessStartInfo("/usr/bin/perl")
        {
            WorkingDirectory = workDir,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        info.ArgumentList.Add("-e");
        info.ArgumentList.Add("$SIG{INT} = 'DEFAULT'; exec { $ARGV[0] } @ARGV or die \"cannot run $ARGV[0]: $!\\n\";");
        var (program, prefix) = GitorchBinary.Command();
        info.ArgumentList.Add(program);
        foreach (var arg in (string[])[.. prefix, .. args])
        {
            info.ArgumentList.Add(arg);
        }

        if (listenIndex < 0)
        {
            info.ArgumentList.Add("--listen");
            info.ArgumentList.Add(server);
        }

        info.Environment["NO_COLOR"] = "1";
        info.Environment["GITORCH_CONFIG"] = config;
        foreach (var (key, value) in environment)
        {
            info.Environment[key] = value;
        }

        return new GitorchProcess(Process.Start(info)!, server, agentServer, Path.Combine(Path.GetFullPath(state, workDir), "admin.credentials"), config);
    }

    /// <summary>An HTTP client with the controller's admin credentials (once it has written them).</summary>
    public HttpClient? AdminClient()
    {
        if (_http is null && File.Exists(CredentialsPath))
        {
            try
            {
                _http = (ClusterCredentials.Load(CredentialsPath) with { Server = Server }).CreateHttpClient(TimeSpan.FromSeconds(10));
            }
            catch (InvalidDataException)
            {
                return null; // Being written.
            }
        }

        return _http;
    }

    /// <summary>Polls the status API until <paramref name="condition"/> holds; fails with the process output after the limit.</summary>
    public async Task<StatusModel> WaitForAsync(Func<StatusModel, bool> condition, string what, int seconds = 30)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        StatusModel? last = null;
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited)
            {
                Assert.Fail($"gitorch exited ({_process.ExitCode}) while waiting for {what}:\n{Output}");
            }

            try
            {
                if (AdminClient() is not { } http)
                {
                    await Task.Delay(100);
                    continue;
                }

                last = await http.GetFromJsonAsync<StatusModel>("api/v1/status?limit=50");
                if (last is not null && condition(last))
                {
                    return last;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }
            catch (TaskCanceledException) when (DateTime.UtcNow < deadline)
            {
                // One slow answer on a busy machine; the deadline decides.
            }

            await Task.Delay(100);
        }

        Assert.Fail($"timed out waiting for {what}; last status: {System.Text.Json.JsonSerializer.Serialize(last)}\n{Output}");
        return null!;
    }

    /// <summary>Waits until <paramref name="condition"/> holds and then one more whole cycle (mirror included) has run.</summary>
    public async Task<StatusModel> WaitForSettledAsync(Func<StatusModel, bool> condition, string what)
    {
        var reached = await WaitForAsync(condition, what);
        return await WaitForAsync(s => s.Controller.CompletedCycles > reached.Controller.CompletedCycles, $"a full cycle after {what}");
    }

    public async Task<int> WaitForExitAsync(int seconds = 30)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(seconds));
        await _process.WaitForExitAsync(cts.Token);
        return _process.ExitCode;
    }

    /// <summary>Asks the process to stop (SIGTERM, as systemd or `kill` would) and waits for it to exit.</summary>
    public async Task<int> TerminateAsync(int seconds = 60)
    {
        using (var kill = Process.Start(new ProcessStartInfo("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]) { UseShellExecute = false })!)
        {
            await kill.WaitForExitAsync();
        }

        return await WaitForExitAsync(seconds);
    }

    /// <summary>Sends SIGINT, as Ctrl+C in a terminal does.</summary>
    public void Interrupt()
    {
        using var kill = Process.Start("kill", ["-INT", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!;
        kill.WaitForExit();
    }

    /// <summary>Ends the process at once (SIGKILL), as a crash would.</summary>
    public void Kill()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
        }
    }

    private void Append(string? line)
    {
        if (line is not null)
        {
            lock (_output)
            {
                _output.AppendLine(line);
            }
        }
    }

    public ValueTask DisposeAsync()
    {
        Kill();
        CredentialsByServer.TryRemove(Server, out _);
        _http?.Dispose();
        try
        {
            Directory.Delete(Path.GetDirectoryName(ConfigPath)!, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
            // It wrote none.
        }

        _process.Dispose();
        return ValueTask.CompletedTask;
    }
}
