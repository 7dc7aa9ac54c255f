using System.Text;
using GitOrch.Bench.Old;
using GitOrch.Git;

namespace GitOrch.Bench;

/// <summary>
/// The git swap measured in one run on the same repository: blob reads through one
/// <c>git cat-file --batch</c> process against libgit2; a one-file tree diff through cat-file
/// (the previous in-process walk), through a <c>git diff-tree</c> process, and through libgit2;
/// mirror commits through <c>git fast-import</c> against libgit2.
/// </summary>
public static class GitSwapCase
{
    public static async Task<IEnumerable<string>> RunAsync(string repo, int mirrorCommits)
    {
        var lines = new List<string>();
        await using var git = new GitRepository(repo);
        await using var catFile = new CatFileBatch(repo);
        var head = (await git.ResolveAsync("HEAD", CancellationToken.None))!;
        var blobs = (await git.ListTreeAsync(head, null, CancellationToken.None)).Select(e => e.Blob).ToList();

        var oldReads = await Measure.StatsAsync(Measure.Runs, async () =>
        {
            foreach (var blob in blobs)
            {
                _ = await catFile.ReadAsync(blob, CancellationToken.None);
            }
        });
        var newReads = await Measure.StatsAsync(Measure.Runs, async () =>
        {
            foreach (var blob in blobs)
            {
                _ = await git.Objects.ReadAsync(blob, CancellationToken.None);
            }
        });
        lines.Add($"| read {blobs.Count:N0} blobs: one `git cat-file --batch` process | {oldReads} |");
        lines.Add($"| read {blobs.Count:N0} blobs: libgit2 in-process | {newReads} |");

        RepoGenerator.ChangeOneFile(repo, 1);
        var next = (await git.ResolveAsync("HEAD", CancellationToken.None))!;
        var walk = await Measure.StatsAsync(Measure.Runs * 4, async () => Expect(await CatFileTreeDiff.DiffAsync(catFile, head, next, null, CancellationToken.None)));
        var process = await Measure.StatsAsync(Measure.Runs * 4, async () => Expect((await GitRunner.RunAsync(repo, ["diff-tree", "-r", "-z", "--no-renames", head, next], CancellationToken.None)).Split('\0', StringSplitOptions.RemoveEmptyEntries)));
        var lib = await Measure.StatsAsync(Measure.Runs * 4, async () => Expect(await TreeDiff.DiffAsync(git, head, next, null, CancellationToken.None)));
        lines.Add($"| one-file tree diff: tree walk over `cat-file --batch` | {walk} |");
        lines.Add($"| one-file tree diff: a `git diff-tree` process | {process} |");
        lines.Add($"| one-file tree diff: libgit2 in-process | {lib} |");

        var file = Encoding.UTF8.GetBytes(RepoGenerator.Pod(1));
        var n = 0;
        var fastImport = await Measure.StatsAsync(Measure.Runs, async () =>
        {
            await using var import = FastImport.Start(repo);
            for (var i = 0; i < mirrorCommits; i++)
            {
                var t = DateTimeOffset.FromUnixTimeSeconds(1_700_000_000 + i);
                await import.CommitAsync(new FastImportCommit("refs/bench/fast-import-" + n, "b", "b@x", t, "b", "b@x", t, $"c{i}\n", null, [], [new($"objects/Pod/ns/p{i % 50}.yaml", file)]), CancellationToken.None);
            }

            await import.CompleteAsync(CancellationToken.None);
            n++;
        });
        var libCommits = await Measure.StatsAsync(Measure.Runs, () =>
        {
            var writer = CommitWriter.Start(git, "refs/bench/libgit2-" + n, null);
            for (var i = 0; i < mirrorCommits; i++)
            {
                var t = DateTimeOffset.FromUnixTimeSeconds(1_700_000_000 + i);
                writer.Commit(new NewCommit("b", "b@x", t, "b", "b@x", t, $"c{i}\n", null, [], [new($"objects/Pod/ns/p{i % 50}.yaml", file)]));
            }

            writer.Complete();
            n++;
            return Task.CompletedTask;
        });
        lines.Add($"| {mirrorCommits:N0} one-file commits: `git fast-import` | {fastImport} |");
        lines.Add($"| {mirrorCommits:N0} one-file commits: libgit2 in-process | {libCommits} |");
        return lines;
    }

    private static void Expect<T>(IReadOnlyCollection<T> changes)
    {
        if (changes.Count == 0)
        {
            throw new InvalidOperationException("the one-file commit shows no change");
        }
    }
}
