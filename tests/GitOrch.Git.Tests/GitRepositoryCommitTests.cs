using GitOrch.Testing;

namespace GitOrch.Git.Tests;

public sealed class GitRepositoryCommitTests : IDisposable
{
    private readonly TempGitRepo _repo = TempGitRepo.Create();

    public void Dispose() => _repo.Dispose();

    [Fact]
    public async Task ReadCommit_ParsesAuthorTimeSubjectMessageAndParent()
    {
        var first = _repo.Commit("first");
        var second = _repo.Commit("Raise web to 3 replicas\n\nBecause traffic doubled.", "Grace Hopper", "grace@example.com", time: 1_712_345_678);
        await using var git = new GitRepository(_repo.Path);

        var commit = await git.ReadCommitAsync(second, CancellationToken.None);

        Assert.Equal(second, commit.Sha);
        Assert.Equal("Grace Hopper", commit.AuthorName);
        Assert.Equal("grace@example.com", commit.AuthorEmail);
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1_712_345_678), commit.AuthorTime);
        Assert.Equal("Raise web to 3 replicas", commit.Subject);
        Assert.Equal("Raise web to 3 replicas\n\nBecause traffic doubled.\n", commit.Message);
        Assert.Equal([first], commit.Parents);
    }

    [Fact]
    public async Task ReadCommit_OfARootCommit_HasNoParents()
    {
        var root = _repo.Commit("root");
        await using var git = new GitRepository(_repo.Path);

        var commit = await git.ReadCommitAsync(root, CancellationToken.None);

        Assert.Empty(commit.Parents);
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(TempGitRepo.FirstCommitTime), commit.AuthorTime);
    }

    [Fact]
    public async Task ReadCommit_OfAMerge_ListsBothParentsInOrder()
    {
        _repo.Commit("c1");
        _repo.Git("checkout", "--quiet", "-b", "feature");
        _repo.Write("f.txt", "f\n");
        var feature = _repo.Commit("f1");
        _repo.Git("checkout", "--quiet", "main");
        _repo.Write("m.txt", "m\n");
        var main = _repo.Commit("c2");
        var merge = _repo.Merge("feature", "Merge feature into main");
        await using var git = new GitRepository(_repo.Path);

        var commit = await git.ReadCommitAsync(merge, CancellationToken.None);

        Assert.Equal([main, feature], commit.Parents);
        Assert.Equal("Merge feature into main", commit.Subject);
        Assert.Equal("Ada Lovelace", commit.AuthorName);
    }

    [Fact]
    public async Task ReadCommit_Throws_ForMissingObjectAndForNonCommit()
    {
        _repo.Write("a.txt", "alpha\n");
        _repo.Commit("one");
        var blob = _repo.Git("rev-parse", "HEAD:a.txt").Trim();
        await using var git = new GitRepository(_repo.Path);

        var missing = await Assert.ThrowsAsync<GitException>(() => git.ReadCommitAsync("0123456789abcdef0123456789abcdef01234567", CancellationToken.None));
        var notCommit = await Assert.ThrowsAsync<GitException>(() => git.ReadCommitAsync(blob, CancellationToken.None));

        Assert.Equal("commit 0123456789abcdef0123456789abcdef01234567 does not exist", missing.Message);
        Assert.Equal($"{blob} is a blob, not a commit", notCommit.Message);
    }
}
