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
}
