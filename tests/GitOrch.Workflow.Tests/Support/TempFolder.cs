namespace GitOrch.Workflow.Tests.Support;

/// <summary>A fresh temporary folder (for a state database or scripts), deleted on dispose.</summary>
public sealed class TempFolder : IDisposable
{
    /// <param name="prefix">The folder name's start.</param>
    /// <param name="openToAll">
    /// Mode 0777 instead of 0700, for scripts and files that a sandboxed exec loop (uid 65534) must
    /// reach when the tests run as root.
    /// </param>
    public TempFolder(string prefix = "gitorch-workflow-", bool openToAll = false)
    {
        Path = Directory.CreateTempSubdirectory(prefix).FullName;
        if (openToAll && !OperatingSystem.IsWindows())
        {
            System.IO.File.SetUnixFileMode(Path, (UnixFileMode)0b111_111_111);
        }
    }

    public string Path { get; }

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temporary folder is harmless.
        }
        catch (UnauthorizedAccessException)
        {
            // Likewise.
        }
    }
}
