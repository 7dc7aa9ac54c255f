namespace GitOrch.Agent.Tests.Support;

/// <summary>A fresh folder under the system temp folder (traversable by every user), deleted when disposed.</summary>
internal sealed class TempDir : IDisposable
{
    public TempDir(string prefix = "gitorch-agent-test")
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"{prefix}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string Combine(params string[] parts) => System.IO.Path.Combine([Path, .. parts]);

    /// <summary>A sub-folder every user may write to (processes of the process runtime run as uid 65534 under root).</summary>
    public string WorldWritable(string name)
    {
        var path = Combine(name);
        Directory.CreateDirectory(path);
        File.SetUnixFileMode(path, (UnixFileMode)0x1FF); // 0777
        return path;
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a process may still hold a file for a moment.
        }
        catch (UnauthorizedAccessException)
        {
            // Best effort.
        }
    }
}
