using GitOrch.Testing;

namespace GitOrch.Git.Tests;

public sealed class GitRepositoryFetchTests : IDisposable
{
    private const string IntoRef = "refs/gitorch/source";

    private readonly TempGitRepo _remote = TempGitRepo.Create();
    private readonly TempGitRepo _local = TempGitRepo.Create();

    public void Dispose()
    {
        _remote.Dispose();
        _local.Dispose();
    }

    private string RemoteUrl => "file://" + _remote.Path;

    [Fact]
    public async Task Fetch_BringsTheBranchIntoTheRef_AndReturnsItsCommit()
    {
        _remote.Write("app.yaml", "kind: Pod\n");
        var first = _remote.Commit("first");
        await using var git = new GitRepository(_local.Path);

        var fetched = await git.FetchAsync(RemoteUrl, "main", IntoRef, CancellationToken.None);

        Assert.Equal(first, fetched);
        Assert.Equal(first, await git.ResolveAsync(IntoRef, CancellationToken.None));
        Assert.Equal("kind: Pod\n", await git.Objects.ReadTextAsync($"{IntoRef}:app.yaml", CancellationToken.None));
        Assert.Null(await git.ResolveAsync("refs/heads/main", CancellationToken.None)); // Only the named ref was written.
    }

    [Fact]
    public async Task Fetch_MovesTheRef_AlsoWhenTheBranchWasRewritten()
    {
        _remote.Commit("first");
        var second = _remote.Commit("second");
        await using var git = new GitRepository(_local.Path);
        Assert.Equal(second, await git.FetchAsync(RemoteUrl, "main", IntoRef, CancellationToken.None));

        _remote.Git("reset", "--quiet", "--hard", "HEAD~1");
        _remote.Write("other.txt", "rewritten\n");
        var rewritten = _remote.Commit("rewritten");
        var fetched = await git.FetchAsync(RemoteUrl, "main", IntoRef, CancellationToken.None);

        Assert.Equal(rewritten, fetched);
        Assert.Equal(rewritten, await git.ResolveAsync(IntoRef, CancellationToken.None));
        Assert.False(await git.IsAncestorAsync(second, rewritten, CancellationToken.None));
    }

    [Fact]
    public async Task Fetch_ThrowsAClearGitException_WhenTheBranchDoesNotExist()
    {
        _remote.Commit("first");
        await using var git = new GitRepository(_local.Path);

        var ex = await Assert.ThrowsAsync<GitException>(() => git.FetchAsync(RemoteUrl, "no-such-branch", IntoRef, CancellationToken.None));

        Assert.Equal(128, ex.ExitCode);
        Assert.Contains("couldn't find remote ref refs/heads/no-such-branch", ex.Message, StringComparison.Ordinal);
        Assert.Null(await git.ResolveAsync(IntoRef, CancellationToken.None));
    }

    [Fact]
    public async Task Fetch_ThrowsGitException_WhenTheRemoteIsNoRepository()
    {
        var missing = "file://" + Path.Combine(_remote.Path, "not-a-repo");
        await using var git = new GitRepository(_local.Path);

        var ex = await Assert.ThrowsAsync<GitException>(() => git.FetchAsync(missing, "main", IntoRef, CancellationToken.None));

        Assert.Equal(128, ex.ExitCode);
        Assert.Contains("not-a-repo", ex.Message, StringComparison.Ordinal);
    }
}
