using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text;
using GitOrch.Controller.Api;

namespace GitOrch.EndToEnd.Tests.Support;

/// <summary>A real <c>gitorch</c> process (the built CLI), with its output captured.</summary>
internal sealed class GitorchProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly HttpClient _http;

    private GitorchProcess(Process process, string server)
    {
        _process = process;
        Server = server;
        _http = new HttpClient { BaseAddress = new Uri(server + "/"), Timeout = TimeSpan.FromSeconds(10) };
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public string Server { get; }

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

    /// <summary>Starts <c>gitorch VERB ARGS --listen http://127.0.0.1:FREE</c>.</summary>
    public static GitorchProcess Start(string workDir, params string[] args)
    {
        var server = $"http://127.0.0.1:{FreePort()}";
        var info = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = workDir,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "gitorch.dll"));
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        info.ArgumentList.Add("--listen");
        info.ArgumentList.Add(server);
        info.Environment["NO_COLOR"] = "1";
        return new GitorchProcess(Process.Start(info)!, server);
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
                last = await _http.GetFromJsonAsync<StatusModel>("api/v1/status?limit=50");
                if (last is not null && condition(last))
                {
                    return last;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
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

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public ValueTask DisposeAsync()
    {
        Kill();
        _http.Dispose();
        _process.Dispose();
        return ValueTask.CompletedTask;
    }
}
