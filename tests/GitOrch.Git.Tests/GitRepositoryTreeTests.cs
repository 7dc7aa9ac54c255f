using GitOrch.Testing;

namespace GitOrch.Git.Tests;

public sealed class GitRepositoryTreeTests : IDisposable
{
    private const string Unicode = "dir/ünï cödé.txt";

    private readonly TempGitRepo _repo = TempGitRepo.Create();
    private readonly string _first;
    private readonly string _second;

    public GitRepositoryTreeTests()
    {
        _repo.Write("a.txt", "one\n");
        _repo.Write("dir/b.txt", "bee\n");
        _repo.Write("dir/c.txt", "sea\n");
        _repo.Write("other/x.txt", "x\n");
        _first = _repo.Commit("first");

        _repo.Write("a.txt", "uno\n");
        _repo.Delete("dir/b.txt");
        _repo.Write("dir/d e.txt", "with a space\n");
        _repo.Write(Unicode, "unicode\n");
        _repo.Write("dir2/y.txt", "a sibling folder with the same prefix\n");
        _repo.Write("other/x.txt", "ex\n");
        _second = _repo.Commit("second");
    }

    public void Dispose() => _repo.Dispose();

    private string Blob(string commit, string path) => _repo.Git("rev-parse", $"{commit}:{path}").Trim();

    [Fact]
    public async Task ListTreeSized_OfNamedPaths_IsWhatAFullListingSaysOfThem_WithoutAProcess()
    {
        File.CreateSymbolicLink(System.IO.Path.Combine(_repo.Path, "link"), "a.txt");
        _repo.Write("big.txt", new string('x', 70_000));
        var head = _repo.Commit("a link and a larger file");
        await using var git = new GitRepository(_repo.Path);
        var all = (await git.ListTreeSizedAsync(head, null, null, CancellationToken.None)).ToDictionary(e => e.Path, StringComparer.Ordinal);

        string[] named = ["a.txt", "link", "big.txt", Unicode, "dir/d e.txt", "missing.txt"];
        var found = await git.ListTreeSizedAsync(head, null, named, CancellationToken.None);
        Assert.Equal(new[] { "a.txt", "link", "big.txt", Unicode, "dir/d e.txt" }.Order(StringComparer.Ordinal), found.Select(e => e.Path));
        foreach (var entry in found)
        {
            Assert.Equal(all[entry.Path], entry);
        }

        Assert.True(found.Single(e => e.Path == "link").IsSymlink);
        Assert.Equal(70_000, found.Single(e => e.Path == "big.txt").Size);

        // A path named twice, and a file inside a folder also named, are listed once.
        Assert.Single(await git.ListTreeSizedAsync(head, null, ["a.txt", "a.txt"], CancellationToken.None));
        Assert.Equal(3, (await git.ListTreeSizedAsync(head, null, ["dir", "dir/d e.txt", "dir/"], CancellationToken.None)).Count);

        // A folder named: every file under it, as `git ls-tree -r` lists them.
        var folder = await git.ListTreeSizedAsync(head, null, ["dir"], CancellationToken.None);
        Assert.Equal(all.Values.Where(e => e.Path.StartsWith("dir/", StringComparison.Ordinal)).OrderBy(e => e.Path, StringComparer.Ordinal), folder.OrderBy(e => e.Path, StringComparer.Ordinal));
    }

    [Fact]
    public async Task DiffTree_ReportsAddedModifiedAndDeleted_WithBlobIds()
    {
        await using var git = new GitRepository(_repo.Path);

        var changes = await git.DiffTreeAsync(_first, _second, null, CancellationToken.None);

        Assert.Equal(
        [
            new TreeChange(ChangeType.Modified, "a.txt", Blob(_first, "a.txt"), Blob(_second, "a.txt")),
            new TreeChange(ChangeType.Deleted, "dir/b.txt", Blob(_first, "dir/b.txt"), null),
            new TreeChange(ChangeType.Added, "dir/d e.txt", null, Blob(_second, "dir/d e.txt")),
            new TreeChange(ChangeType.Added, Unicode, null, Blob(_second, Unicode)),
            new TreeChange(ChangeType.Added, "dir2/y.txt", null, Blob(_second, "dir2/y.txt")),
            new TreeChange(ChangeType.Modified, "other/x.txt", Blob(_first, "other/x.txt"), Blob(_second, "other/x.txt")),
        ],
        changes);
    }

    [Theory]
    [InlineData("dir")]
    [InlineData("dir/")]
    public async Task DiffTree_OnlyReportsFilesUnderTheFolder(string folder)
    {
        await using var git = new GitRepository(_repo.Path);

        var changes = await git.DiffTreeAsync(_first, _second, folder, CancellationToken.None);

        Assert.Equal(["dir/b.txt", "dir/d e.txt", Unicode], changes.Select(c => c.Path));
        Assert.Equal([ChangeType.Deleted, ChangeType.Added, ChangeType.Added], changes.Select(c => c.Type));
    }

    [Fact]
    public async Task DiffTree_FromNothing_ReportsEveryFileAsAdded()
    {
        await using var git = new GitRepository(_repo.Path);

        var changes = await git.DiffTreeAsync(null, _first, null, CancellationToken.None);

        Assert.Equal(
        [
            new TreeChange(ChangeType.Added, "a.txt", null, Blob(_first, "a.txt")),
            new TreeChange(ChangeType.Added, "dir/b.txt", null, Blob(_first, "dir/b.txt")),
            new TreeChange(ChangeType.Added, "dir/c.txt", null, Blob(_first, "dir/c.txt")),
            new TreeChange(ChangeType.Added, "other/x.txt", null, Blob(_first, "other/x.txt")),
        ],
        changes);
    }

    [Fact]
    public async Task DiffTree_IsEmpty_ForTheSameCommit_AndForAFolderWithoutChanges()
    {
        await using var git = new GitRepository(_repo.Path);

        Assert.Empty(await git.DiffTreeAsync(_second, _second, null, CancellationToken.None));
        Assert.Empty(await git.DiffTreeAsync(_first, _second, "nowhere", CancellationToken.None));
    }

    [Fact]
    public async Task DiffTree_ReadsTheBlobsItReports()
    {
        await using var git = new GitRepository(_repo.Path);

        var change = Assert.Single(await git.DiffTreeAsync(_first, _second, Unicode, CancellationToken.None));

        Assert.Equal("unicode\n", await git.Objects.ReadTextAsync(change.NewBlob!, CancellationToken.None));
    }

    [Fact]
    public async Task ListTree_ListsEveryFile_WithModeTypeAndBlob()
    {
        await using var git = new GitRepository(_repo.Path);

        var entries = await git.ListTreeAsync(_second, null, CancellationToken.None);

        string[] paths = ["a.txt", "dir/c.txt", "dir/d e.txt", Unicode, "dir2/y.txt", "other/x.txt"];
        Assert.Equal(paths.Select(p => new TreeEntry("100644", "blob", Blob(_second, p), p)), entries);
    }

    [Fact]
    public async Task ListTree_OnlyListsFilesUnderTheFolder_EvenFromASubfolder()
    {
        await using var git = new GitRepository(Path.Combine(_repo.Path, "other"));

        var entries = await git.ListTreeAsync(_second, "dir", CancellationToken.None);

        Assert.Equal(["dir/c.txt", "dir/d e.txt", Unicode], entries.Select(e => e.Path));
    }
}
