using GitOrch.Testing;

namespace GitOrch.Git.Tests;

public sealed class GitRepositoryTests : IDisposable
{
    private readonly TempGitRepo _repo = TempGitRepo.Create();

    public void Dispose() => _repo.Dispose();

    [Fact]
    public async Task Resolve_ReturnsTheCommit_ForBranchesAndRelativeRevisions()
    {
        var first = _repo.Commit("first");
        var second = _repo.Commit("second");
        await using var git = new GitRepository(_repo.Path);

        Assert.Equal(second, await git.ResolveAsync("HEAD", CancellationToken.None));
        Assert.Equal(second, await git.ResolveAsync("main", CancellationToken.None));
        Assert.Equal(first, await git.ResolveAsync("main~1", CancellationToken.None));
        Assert.Equal(first, await git.ResolveAsync(first[..10], CancellationToken.None));
    }

    [Fact]
    public async Task Resolve_ReturnsNull_WhenTheRevisionNamesNoCommit()
    {
        await using var git = new GitRepository(_repo.Path);
        Assert.Null(await git.ResolveAsync("HEAD", CancellationToken.None)); // No commit yet.

        _repo.Write("a.txt", "alpha\n");
        _repo.Commit("first");
        var blob = _repo.Git("rev-parse", "HEAD:a.txt").Trim();

        Assert.Null(await git.ResolveAsync("no-such-branch", CancellationToken.None));
        Assert.Null(await git.ResolveAsync("HEAD~5", CancellationToken.None));
        Assert.Null(await git.ResolveAsync(blob, CancellationToken.None));
        Assert.False(await git.ExistsAsync("0123456789abcdef0123456789abcdef01234567", CancellationToken.None));
        Assert.True(await git.ExistsAsync(_repo.Head(), CancellationToken.None));
    }

    [Fact]
    public async Task CurrentBranch_IsTheBranchName_AndNullWhenDetached()
    {
        _repo.Commit("first");
        await using var git = new GitRepository(_repo.Path);
        Assert.Equal("main", await git.CurrentBranchAsync(CancellationToken.None));

        _repo.Git("checkout", "--quiet", "-b", "feature/x");
        Assert.Equal("feature/x", await git.CurrentBranchAsync(CancellationToken.None));

        _repo.Git("checkout", "--quiet", "--detach");
        Assert.Null(await git.CurrentBranchAsync(CancellationToken.None));
    }

    [Fact]
    public async Task FindTopLevel_ReturnsTheWorkTreeRoot_FromASubfolder_AndNullOutsideAnyRepository()
    {
        _repo.Write("deep/er/file.txt", "x\n");
        var outside = Directory.CreateTempSubdirectory("gitorch-test-norepo-");
        try
        {
            Assert.Equal(_repo.Path, await GitRepository.FindTopLevelAsync(Path.Combine(_repo.Path, "deep", "er"), CancellationToken.None));
            Assert.Null(await GitRepository.FindTopLevelAsync(outside.FullName, CancellationToken.None));
        }
        finally
        {
            outside.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task FirstParentCommits_AreOldestFirst_AndSkipMergedBranches()
    {
        var c1 = _repo.Commit("c1");
        _repo.Git("checkout", "--quiet", "-b", "feature");
        _repo.Write("f.txt", "feature\n");
        var f1 = _repo.Commit("f1");
        _repo.Git("checkout", "--quiet", "main");
        _repo.Write("m.txt", "main\n");
        var c2 = _repo.Commit("c2");
        var merge = _repo.Merge("feature", "merge feature");
        var c3 = _repo.Commit("c3");
        await using var git = new GitRepository(_repo.Path);

        Assert.Equal([c1, c2, merge, c3], await git.FirstParentCommitsAsync(null, c3, CancellationToken.None));
        Assert.Equal([c2, merge, c3], await git.FirstParentCommitsAsync(c1, c3, CancellationToken.None));
        Assert.Equal([merge, c3], await git.FirstParentCommitsAsync(c2, "main", CancellationToken.None));
        Assert.Empty(await git.FirstParentCommitsAsync(c3, c3, CancellationToken.None));
        Assert.Equal([c1, f1], await git.FirstParentCommitsAsync(null, "feature", CancellationToken.None));
    }

    [Fact]
    public async Task IsAncestor_IsTrueAlongHistory_AndFalseOtherwise()
    {
        var c1 = _repo.Commit("c1");
        var c2 = _repo.Commit("c2");
        _repo.Git("checkout", "--quiet", "-b", "side", c1);
        var side = _repo.Commit("side");
        await using var git = new GitRepository(_repo.Path);

        Assert.True(await git.IsAncestorAsync(c1, c2, CancellationToken.None));
        Assert.True(await git.IsAncestorAsync(c2, c2, CancellationToken.None));
        Assert.False(await git.IsAncestorAsync(c2, c1, CancellationToken.None));
        Assert.False(await git.IsAncestorAsync(side, c2, CancellationToken.None));
        Assert.False(await git.IsAncestorAsync(c2, side, CancellationToken.None));
    }

    [Fact]
    public async Task Run_ThrowsGitException_WithGitsWordsAndExitCode()
    {
        await using var git = new GitRepository(_repo.Path);

        var ex = await Assert.ThrowsAsync<GitException>(() => git.RunAsync(CancellationToken.None, "cat-file", "-p", "no-such-thing"));

        Assert.Equal(128, ex.ExitCode);
        Assert.Equal("fatal: Not a valid object name no-such-thing", ex.StandardError);
        Assert.Equal("git cat-file -p no-such-thing failed (exit 128): fatal: Not a valid object name no-such-thing", ex.Message);
    }
}
