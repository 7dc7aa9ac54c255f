using System.Diagnostics;
using GitOrch.Agent.Pods;
using GitOrch.Agent.Tests.Support;

namespace GitOrch.Agent.Tests.Pods;

/// <summary>Container log files: rotated at a size limit (file, file.1, file.2), read back across rotations.</summary>
public sealed class RotatingLogTests : IDisposable
{
    private readonly TempDir _dir = new("gitorch-logs");
    private readonly string _path;

    public RotatingLogTests()
    {
        _path = _dir.Combine("main.log");
    }

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void AFileAtOrBelowTheLimit_IsNotRotated()
    {
        File.WriteAllText(_path, "0123456789");

        Assert.False(RotatingLog.RotateIfLarge(_path, limitBytes: 10));
        Assert.Equal("0123456789", File.ReadAllText(_path));
        Assert.False(File.Exists(_path + ".1"));
    }

    [Fact]
    public void AMissingFile_IsNotRotated()
    {
        Assert.False(RotatingLog.RotateIfLarge(_path, limitBytes: 10));
        Assert.False(File.Exists(_path + ".1"));
    }

    [Fact]
    public void AFileOverTheLimit_IsCopiedToDotOne_AndTruncatedInPlace()
    {
        File.WriteAllText(_path, "01234567890");

        Assert.True(RotatingLog.RotateIfLarge(_path, limitBytes: 10));

        Assert.Equal("01234567890", File.ReadAllText(_path + ".1"));
        Assert.Equal(0, new FileInfo(_path).Length);
    }

    [Fact]
    public void Rotations_ShiftOlderFiles_AndDropTheOldestBeyondKeep()
    {
        foreach (var generation in new[] { "first-generation\n", "second-generation\n", "third-generation\n" })
        {
            File.AppendAllText(_path, generation);
            Assert.True(RotatingLog.RotateIfLarge(_path, limitBytes: 5, keep: 3));
        }

        Assert.Equal(string.Empty, File.ReadAllText(_path));
        Assert.Equal("third-generation\n", File.ReadAllText(_path + ".1"));
        Assert.Equal("second-generation\n", File.ReadAllText(_path + ".2"));
        Assert.False(File.Exists(_path + ".3"), "keep: 3 means the file and two rotated copies");
    }

    [Fact]
    public async Task AProcessAppendingToTheFile_KeepsWritingIntoItAfterRotation()
    {
        var go = _path + ".go";
        var info = new ProcessStartInfo("/bin/sh") { UseShellExecute = false };
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add("exec >>\"$0\"; echo before-rotation; while [ ! -e \"$1\" ]; do sleep 0.05; done; echo after-rotation");
        info.ArgumentList.Add(_path);
        info.ArgumentList.Add(go);
        using var writer = Process.Start(info)!;
        await Eventually.True(() => File.Exists(_path) && File.ReadAllText(_path) == "before-rotation\n", "the writer's first line");

        Assert.True(RotatingLog.RotateIfLarge(_path, limitBytes: 1));
        await File.WriteAllTextAsync(go, string.Empty);
        await writer.WaitForExitAsync();

        Assert.Equal("before-rotation\n", File.ReadAllText(_path + ".1"));
        Assert.Equal("after-rotation\n", File.ReadAllText(_path));
    }

    [Fact]
    public void Tail_ReadsAcrossRotatedFiles_InOrder()
    {
        File.WriteAllText(_path + ".2", "a\nb\n");
        File.WriteAllText(_path + ".1", "c\nd\n");
        File.WriteAllText(_path, "e\n");

        Assert.Equal(["c", "d", "e"], RotatingLog.Tail(_path, 3));
        Assert.Equal(["a", "b", "c", "d", "e"], RotatingLog.Tail(_path, 100));
        Assert.Equal(["e"], RotatingLog.Tail(_path, 1));
    }

    [Fact]
    public void Tail_OfAMissingFile_IsEmpty()
    {
        Assert.Empty(RotatingLog.Tail(_path, 10));
    }

    [Fact]
    public void AWriter_RotatesAtItsLimit_AndTailReturnsTheLastLines()
    {
        using (var log = new RotatingLog(_path, limitBytes: 200, keep: 3))
        {
            for (var i = 0; i < 50; i++)
            {
                log.WriteLine("stdout", $"line-{i:00}");
            }
        }

        var tail = RotatingLog.Tail(_path, 3);
        Assert.Equal([" stdout line-47", " stdout line-48", " stdout line-49"], tail.Select(l => l[l.IndexOf(' ', StringComparison.Ordinal)..]));
        Assert.All(new[] { _path, _path + ".1", _path + ".2" }, f => Assert.InRange(new FileInfo(f).Length, 1, 200));
        Assert.False(File.Exists(_path + ".3"));
    }

    // A container writes its own log, as fast as it likes: between two rotations the file can grow
    // to gigabytes. The files below are sparse (4 GiB of hole, a few real bytes at the end): read
    // whole, as they once were, they do not fit in a string; read from the end, they cost nothing.

    [Fact]
    public void Tail_OfAFileFarPastItsLimit_ReadsOnlyItsNewestBytes()
    {
        Sparse(_path, 4L << 30, "\nnext-to-last\nlast\n");

        Assert.Equal(["next-to-last", "last"], RotatingLog.Tail(_path, 2));
        Assert.Equal(["next-to-last", "last"], RotatingLog.Tail(_path, 100_000, maxBytes: 64));
    }

    [Fact]
    public void TailSince_OfAFileFarPastItsLimit_ReadsOnlyItsNewestBytes()
    {
        Sparse(_path, 4L << 30, "\nrun-output\ncrashed\n");

        Assert.Equal(["run-output", "crashed"], RotatingLog.TailSince(_path, offset: 0, lines: 50));
    }

    [Fact]
    public void Tail_LeavesOutALineCutByTheReadLimit_AndSharesTheLimitAcrossRotatedFiles()
    {
        File.WriteAllText(_path + ".1", new string('a', 100) + "\nb\n");
        File.WriteAllText(_path, "c\n");

        Assert.Equal(["b", "c"], RotatingLog.Tail(_path, 10, maxBytes: 10)); // 2 bytes of the file, 8 of .1: "aaaaaa" is cut, so left out.
        Assert.Equal(["c"], RotatingLog.Tail(_path, 10, maxBytes: 3));
        Assert.Equal([new string('a', 100), "b", "c"], RotatingLog.Tail(_path, 10));
    }

    [Fact]
    public void TailSince_LeavesOutALineCutByTheReadLimit_ButNotTheRunsFirstLine()
    {
        File.WriteAllText(_path, "before\nfirst\nsecond\n");

        Assert.Equal(["first", "second"], RotatingLog.TailSince(_path, offset: 7, lines: 10));
        Assert.Equal(["second"], RotatingLog.TailSince(_path, offset: 7, lines: 10, maxBytes: 9));
    }

    [Fact]
    public void RotateIfLarge_OfAFileFarPastTheLimit_KeepsOnlyItsNewestLinesWithinTheCopyLimit()
    {
        Sparse(_path, 4L << 30, "x\nlast-line\n");

        Assert.True(RotatingLog.RotateIfLarge(_path, limitBytes: 8, copyLimitBytes: 16));

        Assert.Equal("last-line\n", File.ReadAllText(_path + ".1"));
        Assert.Equal(0, new FileInfo(_path).Length);
    }

    [Fact]
    public void RotateIfLarge_OfOneLongLineEndingTheFile_KeepsItsNewestPart_NotNothing()
    {
        File.WriteAllText(_path, new string('x', 100) + "\n");
        Assert.True(RotatingLog.RotateIfLarge(_path, limitBytes: 8, copyLimitBytes: 16));
        Assert.Equal(new string('x', 15) + "\n", File.ReadAllText(_path + ".1"));

        File.WriteAllText(_path, "a\nb\n" + new string('y', 30) + "\n");
        Assert.True(RotatingLog.RotateIfLarge(_path, limitBytes: 8, copyLimitBytes: 16));
        Assert.Equal(new string('y', 15) + "\n", File.ReadAllText(_path + ".1"));
    }

    [Fact]
    public void Tail_OfManyLines_ReadsBackFarEnoughForThemAll_AndNoFurther()
    {
        File.WriteAllLines(_path, Enumerable.Range(0, 200_000).Select(i => $"line-{i:000000}"));

        var tail = RotatingLog.Tail(_path, 100_000);
        Assert.Equal(100_000, tail.Count);
        Assert.Equal("line-100000", tail[0]);
        Assert.Equal("line-199999", tail[^1]);
        Assert.Equal(["line-199998", "line-199999"], RotatingLog.Tail(_path, 2));
        Assert.Equal(["line-199999"], RotatingLog.TailSince(_path, offset: 12, lines: 1));
    }

    private static void Sparse(string path, long hole, string end)
    {
        using var stream = new FileStream(path, FileMode.Create, FileAccess.Write);
        stream.SetLength(hole);
        stream.Position = hole;
        stream.Write(System.Text.Encoding.UTF8.GetBytes(end));
    }
}
