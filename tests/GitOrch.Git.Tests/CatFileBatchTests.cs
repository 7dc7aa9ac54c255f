using System.Diagnostics;
using System.Globalization;
using System.Text;
using GitOrch.Testing;

namespace GitOrch.Git.Tests;

public sealed class CatFileBatchTests : IDisposable
{
    private readonly TempGitRepo _repo = TempGitRepo.Create();

    public void Dispose() => _repo.Dispose();

    [Fact]
    public async Task ReadsManyBlobs_ThroughOneProcess()
    {
        for (var i = 0; i < 25; i++)
        {
            _repo.Write($"files/f{i:D2}.txt", $"content of file {i}\n");
        }

        _repo.Commit("many files");
        var blobs = _repo.Git("ls-tree", "-r", "HEAD").Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.Split('\t'))
            .Select(parts => (Blob: parts[0].Split(' ')[2], Path: parts[1]))
            .ToList();
        Assert.Equal(25, blobs.Count);

        await using var batch = new CatFileBatch(_repo.Path);
        foreach (var (blob, path) in blobs)
        {
            var obj = await batch.ReadAsync(blob, CancellationToken.None);
            Assert.NotNull(obj);
            Assert.Equal(blob, obj.Id);
            Assert.Equal("blob", obj.Type);
            var i = int.Parse(path["files/f".Length..^".txt".Length], CultureInfo.InvariantCulture);
            Assert.Equal($"content of file {i}\n", Encoding.UTF8.GetString(obj.Content));
        }

        Assert.Equal(1, batch.Starts);
        Assert.Equal(25, batch.Reads);
    }

    [Fact]
    public async Task ReadsBinaryContent_ExactlyIncludingNewlinesAndZeroBytes()
    {
        var bytes = new byte[] { 0, 10, 10, 255, 0, 1, 2, 10 };
        File.WriteAllBytes(Path.Combine(_repo.Path, "bin.dat"), bytes);
        _repo.Write("after.txt", "after\n");
        _repo.Commit("binary");

        await using var batch = new CatFileBatch(_repo.Path);
        var obj = await batch.ReadAsync("HEAD:bin.dat", CancellationToken.None);
        Assert.Equal(bytes, obj!.Content);
        Assert.Equal("after\n", await batch.ReadTextAsync("HEAD:after.txt", CancellationToken.None));
        Assert.Equal(1, batch.Starts);
    }

    [Fact]
    public async Task ReturnsNull_ForMissingObject_AndKeepsTheStreamInStep()
    {
        _repo.Write("a.txt", "alpha\n");
        _repo.Commit("one");

        await using var batch = new CatFileBatch(_repo.Path);
        Assert.Null(await batch.ReadAsync("0123456789abcdef0123456789abcdef01234567", CancellationToken.None));
        Assert.Null(await batch.ReadAsync("HEAD:no-such-file.txt", CancellationToken.None));
        Assert.Null(await batch.ReadTextAsync("no-such-branch", CancellationToken.None));
        Assert.Equal("alpha\n", await batch.ReadTextAsync("HEAD:a.txt", CancellationToken.None));
        Assert.Equal(1, batch.Starts);
        Assert.Equal(4, batch.Reads);
    }

    [Fact]
    public async Task ReadsTreesAndCommits_WithTheirType()
    {
        _repo.Write("a.txt", "alpha\n");
        var commit = _repo.Commit("one");

        await using var batch = new CatFileBatch(_repo.Path);
        var obj = await batch.ReadAsync(commit, CancellationToken.None);
        Assert.Equal("commit", obj!.Type);
        Assert.StartsWith("tree " + _repo.Git("rev-parse", "HEAD^{tree}").Trim() + "\n", Encoding.UTF8.GetString(obj.Content), StringComparison.Ordinal);
        Assert.Equal("tree", (await batch.ReadAsync("HEAD^{tree}", CancellationToken.None))!.Type);
    }

    [Fact]
    public async Task Rejects_NameWithNewline()
    {
        await using var batch = new CatFileBatch(_repo.Path);
        var ex = await Assert.ThrowsAsync<ArgumentException>(() => batch.ReadAsync("HEAD\nHEAD", CancellationToken.None));
        Assert.Equal("name", ex.ParamName);
        Assert.Equal(0, batch.Starts);
    }

    [Fact]
    public async Task ReadSucceeds_AfterAReadWasCancelled()
    {
        _repo.Write("a.txt", "alpha\n");
        _repo.Write("b.txt", "beta\n");
        _repo.Commit("two files");

        await using var batch = new CatFileBatch(_repo.Path);
        Assert.Equal("alpha\n", await batch.ReadTextAsync("HEAD:a.txt", CancellationToken.None));
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => batch.ReadAsync("HEAD:b.txt", cancelled.Token));

        Assert.Equal("beta\n", await batch.ReadTextAsync("HEAD:b.txt", CancellationToken.None));
        Assert.Equal("alpha\n", await batch.ReadTextAsync("HEAD:a.txt", CancellationToken.None));
        Assert.Equal(3, batch.Reads);
    }

    [Fact]
    public async Task RestartsTheProcess_WhenItWasKilled()
    {
        _repo.Write("a.txt", "alpha\n");
        _repo.Write("b.txt", "beta\n");
        _repo.Commit("two files");

        await using var batch = new CatFileBatch(_repo.Path);
        Assert.Equal("alpha\n", await batch.ReadTextAsync("HEAD:a.txt", CancellationToken.None));
        var pid = Assert.Single(CatFileProcessesIn(_repo.Path));
        using (var process = Process.GetProcessById(pid))
        {
            process.Kill();
            await process.WaitForExitAsync();
        }

        Assert.Equal("beta\n", await batch.ReadTextAsync("HEAD:b.txt", CancellationToken.None));
        Assert.Equal(2, batch.Starts);
        Assert.Equal(2, batch.Reads);
        Assert.NotEqual(pid, Assert.Single(CatFileProcessesIn(_repo.Path)));
    }

    [Fact]
    public async Task DisposeAsync_EndsTheProcess()
    {
        _repo.Write("a.txt", "alpha\n");
        _repo.Commit("one");

        var batch = new CatFileBatch(_repo.Path);
        await batch.ReadAsync("HEAD:a.txt", CancellationToken.None);
        using var process = Process.GetProcessById(Assert.Single(CatFileProcessesIn(_repo.Path)));
        await batch.DisposeAsync();

        // Fails (by timing out) only if the process was left running.
        using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await process.WaitForExitAsync(bound.Token);
        Assert.Empty(CatFileProcessesIn(_repo.Path));
    }

    /// <summary>Live <c>git cat-file --batch</c> processes of this test process working in <paramref name="repo"/> (from /proc).</summary>
    private static List<int> CatFileProcessesIn(string repo)
    {
        var found = new List<int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
            {
                continue;
            }

            try
            {
                var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                var state = fields[0];
                var parent = int.Parse(fields[1], CultureInfo.InvariantCulture);
                var cmdline = File.ReadAllText(Path.Combine(dir, "cmdline"));
                var cwd = new DirectoryInfo(Path.Combine(dir, "cwd")).LinkTarget;
                if (parent == Environment.ProcessId && state != "Z" && cmdline.EndsWith("cat-file\0--batch\0", StringComparison.Ordinal) && cwd == repo)
                {
                    found.Add(pid);
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // The process ended while we looked.
            }
        }

        return found;
    }
}
