using GitOrch.Storage;

namespace GitOrch.Contracts.Trust;

/// <summary>Secrets on disk: folders 0700, files 0600, written whole (temp file and rename) so that a crash leaves the old file or the new one.</summary>
public static class SecureFiles
{
    public const UnixFileMode FolderMode = StateFiles.PrivateFolder;

    public const UnixFileMode FileMode = StateFiles.PrivateFile;

    public static void CreateFolder(string path) => StateFiles.Folder(path);

    public static void WriteAllText(string path, string text)
    {
        var folder = Path.GetDirectoryName(Path.GetFullPath(path))!;
        Directory.CreateDirectory(folder);
        var temp = Path.Combine(folder, $".{Path.GetFileName(path)}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        var options = new FileStreamOptions { Mode = System.IO.FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = FileMode;
        }

        using (var stream = new FileStream(temp, options))
        using (var writer = new StreamWriter(stream))
        {
            writer.Write(text);
            writer.Flush();
            stream.Flush(flushToDisk: true);
        }

        File.Move(temp, path, overwrite: true);
    }
}
