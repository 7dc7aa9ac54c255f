namespace GitOrch.Import;

/// <summary>
/// The Kubernetes YAML files under PATH (a file, or a folder read recursively: *.yaml, *.yml; hidden
/// entries skipped). A symlink is refused, never followed; a file over the size limit is refused
/// before it is read.
/// </summary>
public static class ImportFiles
{
    public const long MaxFileBytes = 1024 * 1024;

    public static (IReadOnlyList<(string File, string Text)> Files, IReadOnlyList<ImportNote> Problems) Read(string path)
    {
        var files = new List<(string, string)>();
        var problems = new List<ImportNote>();
        if (File.Exists(path))
        {
            ReadOne(path, path, files, problems);
        }
        else if (Directory.Exists(path))
        {
            Walk(path, path, files, problems);
        }
        else
        {
            problems.Add(new ImportNote(NoteKind.Refused, path, 1, 1, "(path)", null, "no such file or folder; give a Kubernetes YAML file or a folder of them"));
        }

        return (files, problems);
    }

    private static void Walk(string root, string folder, List<(string, string)> files, List<ImportNote> problems)
    {
        foreach (var entry in new DirectoryInfo(folder).EnumerateFileSystemInfos().OrderBy(e => e.Name, StringComparer.Ordinal))
        {
            if (entry.Name.StartsWith('.'))
            {
                continue;
            }

            var shown = Path.Combine(root, Path.GetRelativePath(root, entry.FullName)); // As the user would write it.
            if (entry.LinkTarget is not null)
            {
                problems.Add(new ImportNote(NoteKind.Refused, shown, 1, 1, "(file)", null, "is a symbolic link; import reads regular files only: copy the file it points to"));
            }
            else if (entry is DirectoryInfo directory)
            {
                Walk(root, directory.FullName, files, problems);
            }
            else if (entry.Extension is ".yaml" or ".yml")
            {
                ReadOne(entry.FullName, shown, files, problems);
            }
        }
    }

    private static void ReadOne(string path, string shown, List<(string, string)> files, List<ImportNote> problems)
    {
        var info = new FileInfo(path);
        if (info.LinkTarget is not null)
        {
            problems.Add(new ImportNote(NoteKind.Refused, shown, 1, 1, "(file)", null, "is a symbolic link; import reads regular files only: copy the file it points to"));
        }
        else if (info.Length > MaxFileBytes)
        {
            problems.Add(new ImportNote(NoteKind.Refused, shown, 1, 1, "(file)", null, $"is {info.Length} bytes, over the {MaxFileBytes}-byte limit; split it"));
        }
        else
        {
            files.Add((shown, File.ReadAllText(path)));
        }
    }
}
