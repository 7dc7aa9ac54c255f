using System.Text;
using GitOrch.Testing;

namespace GitOrch.Git.Tests;

public sealed class FastImportTests : IDisposable
{
    private const string Branch = "refs/heads/imported";
    private static readonly DateTimeOffset T1 = DateTimeOffset.FromUnixTimeSeconds(1_700_000_000);
    private static readonly DateTimeOffset T2 = DateTimeOffset.FromUnixTimeSeconds(1_700_000_600);

    private readonly TempGitRepo _repo = TempGitRepo.Create();

    public void Dispose() => _repo.Dispose();

    private static KeyValuePair<string, byte[]?> File(string path, string? content) =>
        new(path, content is null ? null : Encoding.UTF8.GetBytes(content));

    private static FastImportCommit Commit(string message, string? from, IReadOnlyList<string> merges, params KeyValuePair<string, byte[]?>[] files) =>
        new(Branch, "Ada Lovelace", "ada@example.com", T1, "GitOrch", "gitorch@localhost", T2, message, from, merges, files);

    [Fact]
    public async Task WritesTwoCommitsInOneStream_TheSecondAMergeWithADeletion()
    {
        _repo.Write("config.yaml", "kind: Pod\n");
        var source = _repo.Commit("a config commit");

        await using (var import = FastImport.Start(_repo.Path))
        {
            Assert.Equal(":1", await import.CommitAsync(
                Commit("first\n", null, [], File("a.txt", "alpha\n"), File("dir with space/b c.txt", "two\n"), File("say \"hi\".txt", "quoted\n"), File("ünï/cödé.txt", "unicode\n")),
                CancellationToken.None));
            Assert.Equal(":2", await import.CommitAsync(
                Commit("second\n\nTrailer: yes\n", null, [source], File("a.txt", null), File("dir with space/b c.txt", "three\n")),
                CancellationToken.None));
            await import.CompleteAsync(CancellationToken.None);
        }

        var first = _repo.Git("rev-parse", Branch + "^1").Trim();
        Assert.Equal($"{first} {source}\n", _repo.Git("log", "-1", "--format=%P", Branch));
        Assert.Equal("\n", _repo.Git("log", "-1", "--format=%P", first)); // A root commit.
        Assert.Equal("three\n", _repo.Git("show", $"{Branch}:dir with space/b c.txt"));
        Assert.Equal("two\n", _repo.Git("show", $"{first}:dir with space/b c.txt"));
        Assert.Equal("alpha\n", _repo.Git("show", $"{first}:a.txt"));
        Assert.Equal(
            "dir with space/b c.txt\0say \"hi\".txt\0ünï/cödé.txt\0",
            _repo.Git("ls-tree", "-r", "-z", "--name-only", Branch));
        Assert.Equal("second\n\nTrailer: yes\n", _repo.Git("log", "-1", "--format=%B", Branch).TrimEnd('\n') + "\n");
        Assert.Equal(
            "Ada Lovelace <ada@example.com> 1700000000 | GitOrch <gitorch@localhost> 1700000600\n",
            _repo.Git("log", "-1", "--format=%an <%ae> %at | %cn <%ce> %ct", Branch));
    }

    [Fact]
    public async Task ContinuesAnExistingBranch_FromItsTip()
    {
        await using (var import = FastImport.Start(_repo.Path))
        {
            await import.CommitAsync(Commit("one\n", null, [], File("a.txt", "1\n")), CancellationToken.None);
            await import.CompleteAsync(CancellationToken.None);
        }

        var tip = _repo.Git("rev-parse", Branch).Trim();
        await using (var import = FastImport.Start(_repo.Path))
        {
            await import.CommitAsync(Commit("two\n", tip, [], File("b.txt", "2\n")), CancellationToken.None);
            await import.CompleteAsync(CancellationToken.None);
        }

        Assert.Equal(tip + "\n", _repo.Git("log", "-1", "--format=%P", Branch));
        Assert.Equal("a.txt\nb.txt\n", _repo.Git("ls-tree", "-r", "--name-only", Branch));
    }

    [Fact]
    public async Task WritesNothing_WhenDisposedWithoutComplete()
    {
        await using (var import = FastImport.Start(_repo.Path))
        {
            await import.CommitAsync(Commit("abandoned\n", null, [], File("a.txt", "1\n")), CancellationToken.None);
        }

        Assert.Equal(string.Empty, _repo.Git("for-each-ref", Branch));
    }

    [Fact]
    public async Task Complete_ThrowsGitException_WhenGitRejectsTheStream()
    {
        await using var import = FastImport.Start(_repo.Path);
        await import.CommitAsync(Commit("bad\n", null, ["0123456789abcdef0123456789abcdef01234567"], File("a.txt", "1\n")), CancellationToken.None);

        var ex = await Assert.ThrowsAsync<GitException>(() => import.CompleteAsync(CancellationToken.None));

        Assert.StartsWith("git fast-import failed (exit ", ex.Message, StringComparison.Ordinal);
        Assert.Contains("0123456789abcdef0123456789abcdef01234567", ex.Message, StringComparison.Ordinal);
        Assert.Equal(string.Empty, _repo.Git("for-each-ref", Branch));
    }
}
