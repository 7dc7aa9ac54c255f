namespace GitOrch.Controller.Tests.Support;

/// <summary>A fresh folder under the system temp folder, deleted when disposed.</summary>
internal sealed class TempDir : IDisposable
{
    public TempDir(string prefix = "gitorch-test")
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"{prefix}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string Combine(params string[] parts) => System.IO.Path.Combine([Path, .. parts]);

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
