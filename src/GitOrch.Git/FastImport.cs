using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace GitOrch.Git;

/// <summary>
/// Writes many commits through one <c>git fast-import</c> process: the mirror's way of turning
/// batches of object versions into commits without a process per commit or per file.
/// </summary>
public sealed class FastImport : IAsyncDisposable
{
    private readonly Process _process;
    private readonly Stream _stdin;
    private readonly Task<string> _stderr;
    private int _mark;
    private bool _done;

    private FastImport(Process process)
    {
        _process = process;
        _stdin = new BufferedStream(process.StandardInput.BaseStream, 1 << 16);
        _stderr = process.StandardError.ReadToEndAsync();
    }

    public static FastImport Start(string repo)
    {
        var info = GitRunner.StartInfo(repo, ["fast-import", "--quiet", "--done"]);
        info.RedirectStandardInput = true;
        var process = Process.Start(info) ?? throw new GitException("cannot start git fast-import", -1, string.Empty);
        _ = process.StandardOutput.ReadToEndAsync();
        return new FastImport(process);
    }

    /// <summary>Appends a commit to <paramref name="branchRef"/>. Returns its mark (":n").</summary>
    public async Task<string> CommitAsync(FastImportCommit commit, CancellationToken ct)
    {
        var mark = ++_mark;
        var text = new StringBuilder();
        text.Append("commit ").Append(commit.Ref).Append('\n');
        text.Append("mark :").Append(mark.ToString(CultureInfo.InvariantCulture)).Append('\n');
        text.Append("author ").Append(Identity(commit.AuthorName, commit.AuthorEmail, commit.AuthorTime)).Append('\n');
        text.Append("committer ").Append(Identity(commit.CommitterName, commit.CommitterEmail, commit.CommitTime)).Append('\n');
        await WriteAsync(text.ToString(), ct);
        await WriteDataAsync(Encoding.UTF8.GetBytes(commit.Message), ct);
        text.Clear();
        if (commit.From is not null)
        {
            text.Append("from ").Append(commit.From).Append('\n');
        }

        foreach (var merge in commit.Merges)
        {
            text.Append("merge ").Append(merge).Append('\n');
        }

        await WriteAsync(text.ToString(), ct);
        foreach (var (path, content) in commit.Files)
        {
            if (content is null)
            {
                await WriteAsync($"D {Quote(path)}\n", ct);
            }
            else
            {
                await WriteAsync($"M 100644 inline {Quote(path)}\n", ct);
                await WriteDataAsync(content, ct);
            }
        }

        await WriteAsync("\n", ct);
        return ":" + mark.ToString(CultureInfo.InvariantCulture);
    }

    /// <summary>Ends the stream and waits for git to write the pack and update the refs.</summary>
    public async Task CompleteAsync(CancellationToken ct)
    {
        if (_done)
        {
            return;
        }

        _done = true;
        await WriteAsync("done\n", ct);
        await _stdin.FlushAsync(ct);
        _stdin.Close();
        await _process.WaitForExitAsync(ct);
        var err = await _stderr;
        if (_process.ExitCode != 0)
        {
            throw new GitException($"git fast-import failed (exit {_process.ExitCode}): {err.Trim()}", _process.ExitCode, err);
        }
    }

    private Task WriteAsync(string text, CancellationToken ct) => _stdin.WriteAsync(Encoding.UTF8.GetBytes(text), ct).AsTask();

    private async Task WriteDataAsync(byte[] data, CancellationToken ct)
    {
        await WriteAsync($"data {data.Length.ToString(CultureInfo.InvariantCulture)}\n", ct);
        await _stdin.WriteAsync(data, ct);
        await WriteAsync("\n", ct);
    }

    private static string Identity(string name, string email, DateTimeOffset time) =>
        $"{Clean(name)} <{Clean(email)}> {time.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture)} +0000";

    private static string Clean(string s) => s.Replace("<", string.Empty, StringComparison.Ordinal).Replace(">", string.Empty, StringComparison.Ordinal).Replace("\n", " ", StringComparison.Ordinal);

    private static string Quote(string path) =>
        path.Any(c => c is '"' or '\n' or '\\' or ' ') ? "\"" + path.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal) + "\"" : path;

    public async ValueTask DisposeAsync()
    {
        if (!_done)
        {
            GitRunner.Kill(_process); // Abandoned: no partial commit becomes visible (refs update only at the end).
        }

        _process.Dispose();
        await Task.CompletedTask;
    }
}

/// <summary>One commit for fast-import. A file with null content is deleted.</summary>
public sealed record FastImportCommit(
    string Ref,
    string AuthorName,
    string AuthorEmail,
    DateTimeOffset AuthorTime,
    string CommitterName,
    string CommitterEmail,
    DateTimeOffset CommitTime,
    string Message,
    string? From,
    IReadOnlyList<string> Merges,
    IReadOnlyList<KeyValuePair<string, byte[]?>> Files);
