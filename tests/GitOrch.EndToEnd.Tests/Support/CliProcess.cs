using System.Diagnostics;
using System.Text;

namespace GitOrch.EndToEnd.Tests.Support;

/// <summary>A real <c>gitorch</c> process started exactly with the given arguments and environment (an agent, or a one-shot verb), output captured.</summary>
internal sealed class CliProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private CliProcess(Process process)
    {
        _process = process;
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

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

    public static CliProcess Start(string workDir, IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        var info = GitorchBinary.StartInfo(args);
        info.WorkingDirectory = workDir;
        foreach (var (key, value) in environment)
        {
            info.Environment[key] = value;
        }

        return new CliProcess(Process.Start(info)!);
    }

    /// <summary>Runs a one-shot verb to its end (at most 60 s).</summary>
    public static async Task<(int Exit, string Output)> RunAsync(string workDir, IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        await using var process = Start(workDir, environment, args);
        var exit = await process.WaitForExitAsync(60);
        return (exit, process.Output);
    }

    public async Task<int> WaitForExitAsync(int seconds)
    {
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(seconds));
        await _process.WaitForExitAsync(limit.Token);
        _process.WaitForExit(); // Drains the output.
        return _process.ExitCode;
    }

    /// <summary>Polls (bounded) until the output contains <paramref name="text"/>.</summary>
    public async Task WaitForOutputAsync(string text, string what, int seconds = 60)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (!Output.Contains(text, StringComparison.Ordinal))
        {
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"timed out waiting for {what}; output:\n{Output}");
            }

            await Task.Delay(100);
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
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
        }

        _process.Dispose();
        return ValueTask.CompletedTask;
    }
}
