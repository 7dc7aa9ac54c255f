using System.Text;
using GitOrch.Testing;

namespace GitOrch.Git.Tests;

public sealed class CommitWriterTests : IAsyncLifetime
{
    private const string Branch = "refs/heads/written";
    private static readonly DateTimeOffset T1 = DateTimeOffset.FromUnixTimeSeconds(1_700_000_000);
    private static readonly DateTimeOffset T2 = DateTimeOffset.FromUnixTimeSeconds(1_700_000_600);

    private readonly TempGitRepo _repo = TempGitRepo.Create();
    private readonly GitRepository _git;

    public CommitWriterTests() => _git = new GitRepository(_repo.Path);

    public Task InitializeAsync() => Task.CompletedTask;

    // xUnit calls IAsyncLifetime.DisposeAsync on a test class, not IAsyncDisposable's.
    public async Task DisposeAsync()
    {
        await _git.DisposeAsync();
        _repo.Dispose();
    }

    private static KeyValuePair<string, byte[]?> File(string path, string? content) =>
        new(path, content is null ? null : Encoding.UTF8.GetBytes(content));

    private static NewCommit Commit(string message, string? from, IReadOnlyList<string> merges, params KeyValuePair<string, byte[]?>[] files) =>
        new("Ada Lovelace", "ada@example.com", T1, "GitOrch", "gitorch@localhost", T2, message, from, merges, files);

    [Fact]
    public void WritesTwoCommitsInOneRun_TheSecondAMergeWithADeletion()
    {
        _repo.Write("config.yaml", "kind: Pod\n");
        var source = _repo.Commit("a config commit");

        var writer = CommitWriter.Start(_git, Branch, null);
        var first = writer.Commit(Commit("first\n", null, [], File("a.txt", "alpha\n"), File("dir with space/b c.txt", "two\n"), File("say \"hi\".txt", "quoted\n"), File("ünï/cödé.txt", "unicode\n")));
        var second = writer.Commit(Commit("second\n\nTrailer: yes\n", null, [source], File("a.txt", null), File("dir with space/b c.txt", "three\n")));
        Assert.Equal(string.Empty, _repo.Git("for-each-ref", Branch)); // Nothing visible before Complete.
        writer.Complete();

        Assert.Equal(second, _repo.Git("rev-parse", Branch).Trim());
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
            "Ada Lovelace <ada@example.com> 1700000000 +0000 | GitOrch <gitorch@localhost> 1700000600 +0000\n",
            _repo.Git("log", "-1", "--format=%an <%ae> %at %ad | %cn <%ce> %ct %cd", "--date=format:%z", Branch));
        Assert.Equal(string.Empty, _repo.Git("fsck", "--no-dangling", "--no-progress").Trim());
    }

    [Fact]
    public void WritesEachFilesBytesAsGiven_WhateverTheRepositorysLineEndingSettings()
    {
        // A repo set to convert line endings on check-in: the writer stores the bytes it is given
        // (CRLF, a lone CR, bytes that are not UTF-8, an empty file), as the blob git hashes.
        _repo.Git("config", "core.autocrlf", "true");
        _repo.Write(".gitattributes", "* text eol=lf\n");
        var bytes = new byte[] { (byte)'a', (byte)'\r', (byte)'\n', 0xFF, 0xFE, (byte)'\r', 0, (byte)'z' };
        var writer = CommitWriter.Start(_git, Branch, null);
        writer.Commit(Commit("bytes\n", null, [], new KeyValuePair<string, byte[]?>("raw.yaml", bytes), new KeyValuePair<string, byte[]?>("empty.yaml", [])));
        writer.Complete();

        var path = Path.Combine(_repo.Path, "raw.bin");
        System.IO.File.WriteAllBytes(path, bytes);
        Assert.Equal(_repo.Git("hash-object", "--no-filters", path).Trim(), _repo.Git("rev-parse", $"{Branch}:raw.yaml").Trim());
        Assert.Equal("e69de29bb2d1d6434b8b29ae775ad8c2e48c5391", _repo.Git("rev-parse", $"{Branch}:empty.yaml").Trim()); // git's empty blob.
        Assert.Equal(string.Empty, _repo.Git("fsck", "--no-dangling", "--no-progress").Trim());
    }

    [Fact]
    public void RandomRunsOfCommits_LeaveTheTreesGitWouldWrite()
    {
        // Runs of commits that set and delete files, over names that git orders in ways a plain
        // string sort does not ("a" the folder sorts as "a/", after "a.b" and "a-b" and before
        // "a0"; non-ASCII names by their UTF-8 bytes), files replaced by folders and back, folders
        // left empty. After each commit its tree must hold exactly the model's files, and be the
        // very tree git builds from an index of them; git fsck then checks every tree written.
        var seed = Environment.GetEnvironmentVariable("GITORCH_TEST_SEED") is { } given ? int.Parse(given, System.Globalization.CultureInfo.InvariantCulture) : Random.Shared.Next();
        var random = new Random(seed);
        string[] names = ["a", "a.b", "a-b", "a0", "ab", "b", "ü", "z z", "A"];
        var model = new SortedDictionary<string, string>(StringComparer.Ordinal);
        string? tip = null;
        var commits = 0;
        for (var run = 0; run < 4; run++)
        {
            var writer = CommitWriter.Start(_git, Branch, tip);
            for (var c = 0; c < 8; c++)
            {
                var files = new List<KeyValuePair<string, byte[]?>>();
                for (var op = random.Next(1, 6); op > 0; op--)
                {
                    var path = string.Join('/', Enumerable.Range(0, random.Next(1, 4)).Select(_ => names[random.Next(names.Length)]));
                    var content = random.Next(4) == 0 ? null : $"{commits}:{op}:{path}\n";
                    files.Add(File(path, content));
                    // Deleted, or replaced by the file, with all under it; a file set where a folder
                    // of its path was goes too (deleting a path under a file deletes nothing).
                    foreach (var gone in model.Keys.Where(k => k == path || k.StartsWith(path + "/", StringComparison.Ordinal) || (content is not null && path.StartsWith(k + "/", StringComparison.Ordinal))).ToList())
                    {
                        model.Remove(gone);
                    }

                    if (content is not null)
                    {
                        model[path] = content;
                    }
                }

                var sha = writer.Commit(Commit($"commit {commits++}\n", c == 0 ? tip : null, [], [.. files]));
                var listed = _repo.Git("ls-tree", "-r", "-z", "--full-tree", sha).Split('\0', StringSplitOptions.RemoveEmptyEntries);
                Assert.True(
                    model.Select(kv => $"100644 blob {BlobId(kv.Value)}\t{kv.Key}").Order(StringComparer.Ordinal).SequenceEqual(listed.Order(StringComparer.Ordinal)),
                    $"seed {seed} (GITORCH_TEST_SEED replays it), commit {commits - 1}: the tree holds\n{string.Join('\n', listed)}\nbut the files are\n{string.Join('\n', model.Keys)}");
                _repo.Git("read-tree", "--empty");
                if (model.Count > 0)
                {
                    _repo.Git(["update-index", "--add", .. model.SelectMany(kv => new[] { "--cacheinfo", $"100644,{BlobId(kv.Value)},{kv.Key}" })]);
                }

                Assert.True(
                    _repo.Git("write-tree").Trim() == _repo.Git("rev-parse", sha + "^{tree}").Trim(),
                    $"seed {seed} (GITORCH_TEST_SEED replays it), commit {commits - 1}: the tree differs from the one git writes for the same files");
            }

            writer.Complete();
            tip = _repo.Git("rev-parse", Branch).Trim();
        }

        Assert.Equal(string.Empty, _repo.Git("fsck", "--strict", "--no-dangling", "--no-progress").Trim());
    }

    /// <summary>The id git gives a file with this text.</summary>
    private static string BlobId(string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        return Convert.ToHexStringLower(System.Security.Cryptography.SHA1.HashData([.. Encoding.ASCII.GetBytes($"blob {bytes.Length}\0"), .. bytes]));
    }

    [Fact]
    public void RefusesAPathNoGitTreeCanHold_AndMovesNothing()
    {
        foreach (var bad in new[] { "a//b", "/a", "a/", "./a", "a/../b", ".git/config", "x/.GIT/y", "a\0b", "lone\uD800surrogate" })
        {
            var writer = CommitWriter.Start(_git, Branch, null);
            var error = Assert.Throws<ArgumentException>(() => writer.Commit(Commit("bad\n", null, [], File(bad, "x\n"))));
            Assert.Contains("is not a path a git tree can hold", error.Message, StringComparison.Ordinal);
            writer.Complete();
            Assert.Equal(string.Empty, _repo.Git("for-each-ref", Branch));
        }
    }

    [Fact]
    public void ACommitThatFails_LeavesNothingOfItInTheNextCommit()
    {
        var writer = CommitWriter.Start(_git, Branch, null);
        var first = writer.Commit(Commit("one\n", null, [], File("a.txt", "1\n")));
        Assert.Throws<ArgumentException>(() => writer.Commit(Commit("bad\n", null, [], File("half.txt", "set before the bad path\n"), File("a.txt", null), File("x/../y", "bad\n"))));
        Assert.Throws<GitException>(() => writer.Commit(Commit("merges a commit that is not there\n", null, ["0123456789abcdef0123456789abcdef01234567"], File("b.txt", "tree written, commit not\n"))));
        var third = writer.Commit(Commit("three\n", null, [], File("c.txt", "3\n")));
        writer.Complete();

        Assert.Equal($"{first}\n", _repo.Git("log", "-1", "--format=%P", third));
        Assert.Equal("a.txt\nc.txt\n", _repo.Git("ls-tree", "-r", "--name-only", Branch));
    }

    [Fact]
    public void ContinuesAnExistingBranch_FromItsTip()
    {
        var tip = FirstCommit();
        var writer = CommitWriter.Start(_git, Branch, tip);
        writer.Commit(Commit("two\n", tip, [], File("b.txt", "2\n")));
        writer.Complete();

        Assert.Equal(tip + "\n", _repo.Git("log", "-1", "--format=%P", Branch));
        Assert.Equal("a.txt\nb.txt\n", _repo.Git("ls-tree", "-r", "--name-only", Branch));
    }

    [Fact]
    public void MovesNothing_WhenDroppedWithoutComplete()
    {
        var writer = CommitWriter.Start(_git, Branch, null);
        writer.Commit(Commit("abandoned\n", null, [], File("a.txt", "1\n")));

        Assert.Equal(string.Empty, _repo.Git("for-each-ref", Branch));
    }

    /// <summary>A branch with one commit (a.txt), written and completed; its tip.</summary>
    private string FirstCommit()
    {
        var writer = CommitWriter.Start(_git, Branch, null);
        writer.Commit(Commit("one\n", null, [], File("a.txt", "1\n")));
        writer.Complete();
        return _repo.Git("rev-parse", Branch).Trim();
    }

    /// <summary>A writer killed halfway through moving a ref leaves its lock file, which libgit2 (like git) will not move the ref past.</summary>
    private string LeaveLock(string refName, TimeSpan age)
    {
        var lockFile = System.IO.Path.Combine(_repo.Path, ".git", refName + ".lock");
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(lockFile)!);
        System.IO.File.WriteAllText(lockFile, "0000000000000000000000000000000000000000\n");
        System.IO.File.SetLastWriteTimeUtc(lockFile, DateTime.UtcNow - age);
        return lockFile;
    }

    [Fact]
    public void Complete_RemovesALockFileAStoppedWriterLeft_AndMovesTheRef()
    {
        var tip = FirstCommit();
        var refLock = LeaveLock(Branch, CommitWriter.StaleLockAge + TimeSpan.FromSeconds(1));
        var logLock = LeaveLock("logs/" + Branch, TimeSpan.FromMinutes(10));

        var writer = CommitWriter.Start(_git, Branch, tip);
        var second = writer.Commit(Commit("two\n", tip, [], File("b.txt", "2\n")));
        writer.Complete();

        Assert.Equal(second, _repo.Git("rev-parse", Branch).Trim());
        Assert.False(System.IO.File.Exists(refLock));
        Assert.False(System.IO.File.Exists(logLock));
    }

    [Fact]
    public void Complete_LeavesAFreshLockFileAlone_AndSaysWhatHoldsTheRef()
    {
        var tip = FirstCommit();
        var refLock = LeaveLock(Branch, TimeSpan.Zero); // a git process updating the ref right now

        var writer = CommitWriter.Start(_git, Branch, tip);
        writer.Commit(Commit("two\n", tip, [], File("b.txt", "2\n")));
        var ex = Assert.Throws<GitException>(writer.Complete);

        Assert.Contains($"cannot move {Branch}", ex.Message, StringComparison.Ordinal);
        Assert.Contains("removed once it is 5 s old", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(": .", ex.Message, StringComparison.Ordinal); // libgit2's message ends in ": " when the OS gave no reason
        Assert.True(System.IO.File.Exists(refLock));
        Assert.Equal(tip, _repo.Git("rev-parse", Branch).Trim());
    }

    [Fact]
    public void Complete_NeverRemovesALockThatIsASymbolicLink_NorWhatItPointsAt()
    {
        var tip = FirstCommit();
        // Someone who can write the git folder plants the lock as a link to a file of someone else's, made to look stale.
        var outside = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "gitorch-precious-" + Guid.NewGuid().ToString("N"));
        System.IO.File.WriteAllText(outside, "keep me\n");
        var lockFile = System.IO.Path.Combine(_repo.Path, ".git", Branch + ".lock");
        try
        {
            System.IO.File.CreateSymbolicLink(lockFile, outside);
            System.IO.File.SetLastWriteTimeUtc(outside, DateTime.UtcNow - TimeSpan.FromHours(1));
            using (var touch = System.Diagnostics.Process.Start("touch", ["-h", "-d", "1 hour ago", lockFile])) // the link itself, too
            {
                touch.WaitForExit();
            }

            var writer = CommitWriter.Start(_git, Branch, tip);
            writer.Commit(Commit("two\n", tip, [], File("b.txt", "2\n")));
            var ex = Assert.Throws<GitException>(writer.Complete);

            Assert.Contains($"cannot move {Branch}", ex.Message, StringComparison.Ordinal);
            Assert.NotNull(new FileInfo(lockFile).LinkTarget);
            Assert.Equal("keep me\n", System.IO.File.ReadAllText(outside));
            Assert.Equal(tip, _repo.Git("rev-parse", Branch).Trim());
        }
        finally
        {
            System.IO.File.Delete(lockFile);
            System.IO.File.Delete(outside);
        }
    }

    [Fact]
    public void Complete_Refuses_WhenTheRefMovedMeanwhile()
    {
        _repo.Write("config.yaml", "kind: Pod\n");
        var other = _repo.Commit("someone else's commit");
        var writer = CommitWriter.Start(_git, Branch, null);
        writer.Commit(Commit("mine\n", null, [], File("a.txt", "1\n")));
        _repo.Git("update-ref", Branch, other);

        var ex = Assert.Throws<GitException>(writer.Complete);

        Assert.Contains("moved", ex.Message, StringComparison.Ordinal);
        Assert.Equal(other, _repo.Git("rev-parse", Branch).Trim());
    }

    [Fact]
    public void Commit_ThrowsGitException_ForAMergeOfAMissingCommit_AndMovesNothing()
    {
        var writer = CommitWriter.Start(_git, Branch, null);

        var ex = Assert.Throws<GitException>(() => writer.Commit(Commit("bad\n", null, ["0123456789abcdef0123456789abcdef01234567"], File("a.txt", "1\n"))));

        Assert.Contains("0123456789abcdef0123456789abcdef01234567", ex.Message, StringComparison.Ordinal);
        Assert.Equal(string.Empty, _repo.Git("for-each-ref", Branch));
    }
}
