using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace GitOrch.Git;

/// <summary>
/// One long-lived <c>git cat-file --batch</c> process per repository: objects are read by writing
/// their name to its stdin and reading header and content from its stdout, with no process per
/// file. Calls are serialised; the process is restarted if it dies.
/// </summary>
public sealed class CatFileBatch : IAsyncDisposable
{
    private readonly string _repo;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private Process? _process;
    private Stream? _stdout;
    private Stream? _stdin;

    public CatFileBatch(string repo) => _repo = repo;

    /// <summary>How many objects were read; for benchmarks and tests of "one process, many reads".</summary>
    public int Reads { get; private set; }

    /// <summary>How many times the process was started.</summary>
    public int Starts { get; private set; }

    /// <summary>An object's type and content, or null when it does not exist.</summary>
    public async Task<GitObject?> ReadAsync(string name, CancellationToken ct)
    {
        if (name.Contains('\n', StringComparison.Ordinal))
        {
            throw new ArgumentException("object names cannot contain a newline", nameof(name));
        }

        await _gate.WaitAsync(ct);
        try
        {
            for (var attempt = 0; ; attempt++)
            {
                EnsureStarted();
                try
                {
                    var result = await ReadOneAsync(name, ct);
                    Reads++;
                    return result;
                }
                catch (IOException) when (attempt == 0)
                {
                    Stop(); // The process died; start it again once.
                }
            }
        }
        catch (OperationCanceledException)
        {
            Stop(); // A half-read answer would desynchronise the stream.
            throw;
        }
        finally
        {
            _gate.Release();
        }
    }

    public async Task<string?> ReadTextAsync(string name, CancellationToken ct) =>
        await ReadAsync(name, ct) is { } obj ? Encoding.UTF8.GetString(obj.Content) : null;

    private async Task<GitObject?> ReadOneAsync(string name, CancellationToken ct)
    {
        await _stdin!.WriteAsync(Encoding.UTF8.GetBytes(name + "\n"), ct);
        await _stdin.FlushAsync(ct);
        var header = await ReadLineAsync(ct);
        if (header.EndsWith(" missing", StringComparison.Ordinal) || header.EndsWith(" ambiguous", StringComparison.Ordinal))
        {
            return null;
        }

        var parts = header.Split(' ');
        if (parts.Length != 3 || !long.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out var size))
        {
            throw new IOException($"unexpected answer from git cat-file: \"{header}\"");
        }

        var content = new byte[size];
        await _stdout!.ReadExactlyAsync(content, ct);
        var newline = new byte[1];
        await _stdout.ReadExactlyAsync(newline, ct);
        return new GitObject(parts[0], parts[1], content);
    }

    private async Task<string> ReadLineAsync(CancellationToken ct)
    {
        var bytes = new List<byte>(64);
        var one = new byte[1];
        while (true)
        {
            var n = await _stdout!.ReadAsync(one, ct);
            if (n == 0)
            {
                throw new IOException("git cat-file ended unexpectedly");
            }

            if (one[0] == (byte)'\n')
            {
                return Encoding.UTF8.GetString([.. bytes]);
            }

            bytes.Add(one[0]);
        }
    }

    private void EnsureStarted()
    {
        if (_process is { HasExited: false })
        {
            return;
        }

        Stop();
        var info = GitRunner.StartInfo(_repo, ["cat-file", "--batch"]);
        info.RedirectStandardInput = true;
        info.RedirectStandardError = false;
        _process = Process.Start(info) ?? throw new GitException("cannot start git cat-file --batch", -1, string.Empty);
        _stdout = new BufferedStream(_process.StandardOutput.BaseStream, 1 << 16);
        _stdin = _process.StandardInput.BaseStream;
        Starts++;
    }

    private void Stop()
    {
        if (_process is null)
        {
            return;
        }

        try
        {
            _stdin?.Dispose();
        }
        catch (IOException)
        {
            // The pipe is already broken.
        }

        GitRunner.Kill(_process);
        _process.Dispose();
        _process = null;
        _stdin = null;
        _stdout = null;
    }

    public ValueTask DisposeAsync()
    {
        Stop();
        _gate.Dispose();
        return ValueTask.CompletedTask;
    }
}

/// <summary>An object read from git: its id, type (blob, tree, commit, tag) and raw content.</summary>
public sealed record GitObject(string Id, string Type, byte[] Content);
