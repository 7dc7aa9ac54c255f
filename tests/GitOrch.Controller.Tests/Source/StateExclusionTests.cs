using GitOrch.Controller.Source;
using GitOrch.Controller.Tests.Support;

namespace GitOrch.Controller.Tests.Source;

/// <summary>A state folder inside the config repo's work tree is excluded through .git/info/exclude, so `git add -A` never commits it.</summary>
public sealed class StateExclusionTests : IDisposable
{
    private readonly GitRepo _repo = GitRepo.Init();

    public void Dispose() => _repo.Dispose();

    [Fact]
    public async Task AStateFolderInsideTheWorkTree_IsExcludedOnce_AndGitAddAllLeavesItOut()
    {
        _repo.Write("apps/worker.yaml", Manifests.Pod("worker")).Commit("Config");
        var state = Path.Combine(_repo.Root, ".gitorch");
        Directory.CreateDirectory(state);
        await File.WriteAllTextAsync(Path.Combine(state, "state.db"), "secret");

        Assert.Equal("/.gitorch/", await StateExclusion.EnsureAsync(_repo.Root, state, CancellationToken.None));
        Assert.Null(await StateExclusion.EnsureAsync(_repo.Root, state, CancellationToken.None)); // Once.

        var exclude = await File.ReadAllLinesAsync(Path.Combine(_repo.Root, ".git", "info", "exclude"));
        Assert.Single(exclude, l => l == "/.gitorch/");
        _repo.Git("add", "-A");
        Assert.Equal(string.Empty, _repo.Git("status", "--porcelain").Trim());
    }

    [Fact]
    public async Task AStateFolderOutsideTheWorkTree_LeavesTheExcludeFileAsItIs()
    {
        _repo.Write("apps/worker.yaml", Manifests.Pod("worker")).Commit("Config");
        var exclude = Path.Combine(_repo.Root, ".git", "info", "exclude");
        var before = File.Exists(exclude) ? await File.ReadAllTextAsync(exclude) : null;
        using var outside = new TempDir("gitorch-state");

        Assert.Null(await StateExclusion.EnsureAsync(_repo.Root, outside.Path, CancellationToken.None));
        Assert.Equal(before, File.Exists(exclude) ? await File.ReadAllTextAsync(exclude) : null);
    }

    [Fact]
    public async Task OpeningALocalRepo_WithStateInsideIt_ExcludesTheStateFolder()
    {
        _repo.Write("apps/worker.yaml", Manifests.Pod("worker")).Commit("Config");
        var state = Path.Combine(_repo.Root, "ops", "state");

        await using var controller = await Controllers.OpenAsync(Controllers.Options(_repo.Root, state));

        Assert.Contains("/ops/state/", await File.ReadAllLinesAsync(Path.Combine(_repo.Root, ".git", "info", "exclude")));
        Assert.DoesNotContain("ops", _repo.Git("status", "--porcelain", "--untracked-files=all"), StringComparison.Ordinal);
    }
}
