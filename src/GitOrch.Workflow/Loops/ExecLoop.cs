using System.Diagnostics;
using System.Text;
using GitOrch.Workflow.Execution;

namespace GitOrch.Workflow.Loops;

/// <summary>
/// Calls an <c>exec</c> loop: the command gets the object as JSON on stdin and answers on stdout;
/// exit 0 means done, anything else failed. stderr lines become the step's log lines. On timeout or
/// cancellation the whole process tree is killed.
/// </summary>
public static class ExecLoop
{
    private const int MaxOutput = 1 << 20;

    public static async Task<(int ExitCode, string Stdout)> RunAsync(
        IReadOnlyList<string> command, IReadOnlyDictionary<string, string> env, string input, StepInvocation invocation, CancellationToken ct)
    {
        var info = new ProcessStartInfo(command[0])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in command.Skip(1))
        {
            info.ArgumentList.Add(arg);
        }

        foreach (var (key, value) in env)
        {
            info.Environment[key] = value;
        }

        using var process = new Process { StartInfo = info };
        try
        {
            process.Start();
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            var why = ex.NativeErrorCode switch
            {
                2 => "no such file",
                13 => "permission denied (is it executable?)",
                _ => ex.Message,
            };
            throw new LoopCallException($"cannot run {command[0]}: {why}; check the loop's exec.command");
        }

        try
        {
            var stdout = ReadLimitedAsync(process.StandardOutput, ct);
            var stderr = Task.Run(
                async () =>
                {
                    while (await process.StandardError.ReadLineAsync(ct) is { } line)
                    {
                        invocation.Log("info", line);
                    }
                },
                ct);
            try
            {
                await process.StandardInput.WriteAsync(input.AsMemory(), ct);
                process.StandardInput.Close();
            }
            catch (IOException)
            {
                // The loop exited without reading its input; its exit code tells the rest.
            }

            string output;
            try
            {
                output = await stdout; // Ends at end of stream, or throws past the output limit.
            }
            catch (LoopCallException)
            {
                Kill(process); // It would block on a full pipe until its timeout otherwise.
                throw;
            }

            await process.WaitForExitAsync(ct);
            await stderr;
            return (process.ExitCode, output);
        }
        catch (OperationCanceledException)
        {
            Kill(process);
            throw;
        }
    }

    private static async Task<string> ReadLimitedAsync(StreamReader reader, CancellationToken ct)
    {
        var text = new StringBuilder();
        var buffer = new char[8192];
        int n;
        while ((n = await reader.ReadAsync(buffer.AsMemory(), ct)) > 0)
        {
            if (text.Length + n > MaxOutput)
            {
                throw new LoopCallException($"printed more than {MaxOutput} bytes on stdout; answer with a small JSON object and log on stderr");
            }

            text.Append(buffer, 0, n);
        }

        return text.ToString();
    }

    private static void Kill(Process process)
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
    }
}

/// <summary>A loop could not be called as declared; the message says what to fix.</summary>
public sealed class LoopCallException(string message) : Exception(message);
