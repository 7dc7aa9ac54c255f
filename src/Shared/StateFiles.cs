namespace GitOrch.Storage;

/// <summary>
/// Modes of what GitOrch keeps on disk: state folders 0700 and files 0600 (the state holds env
/// values, tokens and the history). A folder that a sandboxed process must cross to reach its own
/// files (the image store a runc user namespace's root mounts, a process pod's working folder) is
/// 0711: traversable, not listable, with everything in it still 0600/0700 unless meant to be shared.
/// These helpers are only used on GitOrch's own state paths, never on a path a manifest names.
/// Compiled into each assembly that writes state, as an internal type.
/// </summary>
internal static class StateFiles
{
    public const UnixFileMode PrivateFolder = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    public const UnixFileMode TraversableFolder = PrivateFolder | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;

    public const UnixFileMode PrivateFile = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    /// <summary>Creates the folder (and missing parents) with <paramref name="mode"/>, and sets it on the folder itself if it existed.</summary>
    public static string Folder(string path, UnixFileMode mode = PrivateFolder)
    {
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(path);
            return path;
        }

        Directory.CreateDirectory(path, mode);
        if (File.GetUnixFileMode(path) != mode)
        {
            File.SetUnixFileMode(path, mode);
        }

        return path;
    }

    /// <summary>Makes an existing file private (0600); creates it empty first when <paramref name="create"/>.</summary>
    public static string PrivateFileAt(string path, bool create = false)
    {
        if (OperatingSystem.IsWindows())
        {
            return path;
        }

        if (create && !File.Exists(path))
        {
            using (new FileStream(path, new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = PrivateFile }))
            {
            }
        }
        else if (File.Exists(path) && File.GetUnixFileMode(path) != PrivateFile)
        {
            File.SetUnixFileMode(path, PrivateFile);
        }

        return path;
    }

    /// <summary>
    /// A SQLite database and its -wal/-shm files, 0600. SQLite gives the -wal and -shm files the
    /// mode of the database file, so creating that first with 0600 covers the files it makes later.
    /// </summary>
    public static string Database(string path)
    {
        PrivateFileAt(path, create: true);
        PrivateFileAt(path + "-wal");
        PrivateFileAt(path + "-shm");
        return path;
    }

    /// <summary>Options for a file opened for writing that, when created, is private (0600).</summary>
    public static FileStreamOptions PrivateWrite(FileMode mode, FileAccess access = FileAccess.Write, FileShare share = FileShare.None) => OperatingSystem.IsWindows()
        ? new FileStreamOptions { Mode = mode, Access = access, Share = share }
        : new FileStreamOptions { Mode = mode, Access = access, Share = share, UnixCreateMode = PrivateFile };
}
