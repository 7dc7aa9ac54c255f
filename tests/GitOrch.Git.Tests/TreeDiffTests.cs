using GitOrch.Testing;

namespace GitOrch.Git.Tests;

/// <summary>The in-process (libgit2) tree diff and commit walk agree with the git CLI's diff-tree and rev-list.</summary>
public sealed class TreeDiffTests : IDisposable
{
    private readonly TempGitRepo _repo = TempGitRepo.Create();

    public void Dispose() => _repo.Dispose();

    private async Task AssertSameAsGitAsync(string from, string to, string? folder)
    {
        await using var git = new GitRepository(_repo.Path);
        var ours = await TreeDiff.DiffAsync(git, from, to, folder, CancellationToken.None);
        var theirs = GitCliDiffTree(from, to, folder);
        Assert.Equal(
            theirs.OrderBy(c => c.Path, StringComparer.Ordinal).Select(c => (c.Type, c.Path, c.OldBlob, c.NewBlob)),
            ours.OrderBy(c => c.Path, StringComparer.Ordinal).Select(c => (c.Type, c.Path, c.OldBlob, c.NewBlob)));
    }

    /// <summary>What <c>git diff-tree</c> (the CLI, not GitOrch) reports.</summary>
    private List<TreeChange> GitCliDiffTree(string from, string to, string? folder)
    {
        var args = new List<string> { "diff-tree", "-r", "-z", "--no-renames", "--no-commit-id", from, to };
        if (folder is not null)
        {
            args.AddRange(["--", folder]);
        }

        var fields = _repo.Git([.. args]).Split('\0');
        var changes = new List<TreeChange>();
        for (var i = 0; i + 1 < fields.Length; i += 2)
        {
            var meta = fields[i].TrimStart(':').Split(' ');
            var type = meta[4][0] switch { 'A' => ChangeType.Added, 'D' => ChangeType.Deleted, _ => ChangeType.Modified };
            changes.Add(new TreeChange(type, fields[i + 1], meta[2].All(c => c == '0') ? null : meta[2], meta[3].All(c => c == '0') ? null : meta[3]));
        }

        return changes;
    }

    [Fact]
    public async Task Diff_MatchesDiffTree_ForAddsEditsDeletesAndNestedFolders()
    {
        _repo.Write("apps/a.yaml", "a: 1\n");
        _repo.Write("apps/deep/b.yaml", "b: 1\n");
        _repo.Write("cluster/c.yaml", "c: 1\n");
        _repo.Write("same.yaml", "s: 1\n");
        var first = _repo.Commit("first");
        _repo.Write("apps/a.yaml", "a: 2\n");
        _repo.Delete("apps/deep/b.yaml");
        _repo.Write("apps/deep/new.yaml", "n: 1\n");
        _repo.Write("new folder/with space é.yaml", "x: 1\n");
        var second = _repo.Commit("second");

        await AssertSameAsGitAsync(first, second, null);
        await AssertSameAsGitAsync(first, second, "apps");
        await AssertSameAsGitAsync(second, first, null);
    }

    [Fact]
    public async Task Diff_MatchesDiffTree_WhenAFolderBecomesAFile()
    {
        _repo.Write("x/inner.yaml", "i: 1\n");
        var first = _repo.Commit("folder");
        _repo.Git("rm", "-q", "-r", "x");
        _repo.Write("x", "now a file\n");
        var second = _repo.Commit("file");

        await AssertSameAsGitAsync(first, second, null);
        await AssertSameAsGitAsync(second, first, null);
    }

    [Fact]
    public async Task Diff_IsEmpty_ForAFolderThatDidNotChange()
    {
        _repo.Write("apps/a.yaml", "a: 1\n");
        _repo.Write("other/o.yaml", "o: 1\n");
        var first = _repo.Commit("first");
        _repo.Write("other/o.yaml", "o: 2\n");
        var second = _repo.Commit("second");

        await using var git = new GitRepository(_repo.Path);
        Assert.Empty(await TreeDiff.DiffAsync(git, first, second, "apps", CancellationToken.None));
        Assert.Empty(await TreeDiff.DiffAsync(git, first, second, "missing", CancellationToken.None));
    }

    [Fact]
    public async Task FirstParentPath_ListsTheNewCommitsOldestFirst_OrNullWhenNotOnTheLine()
    {
        _repo.Write("a.yaml", "a: 1\n");
        var c1 = _repo.Commit("one");
        _repo.Write("a.yaml", "a: 2\n");
        var c2 = _repo.Commit("two");
        _repo.Write("a.yaml", "a: 3\n");
        var c3 = _repo.Commit("three");

        await using var git = new GitRepository(_repo.Path);
        Assert.Equal([c2, c3], await TreeDiff.FirstParentPathAsync(git, c1, c3, 10, CancellationToken.None));
        Assert.Equal((IReadOnlyList<string>)[], await TreeDiff.FirstParentPathAsync(git, c3, c3, 10, CancellationToken.None));
        Assert.Null(await TreeDiff.FirstParentPathAsync(git, c3, c1, 10, CancellationToken.None)); // not an ancestor
        Assert.Null(await TreeDiff.FirstParentPathAsync(git, c1, c3, 1, CancellationToken.None)); // beyond the limit
        Assert.Equal(await git.FirstParentCommitsAsync(c1, c3, CancellationToken.None), await TreeDiff.FirstParentPathAsync(git, c1, c3, 10, CancellationToken.None));
    }
}
