namespace GitOrch.Git;

/// <summary>A file in a tree with its mode and size (from <c>git ls-tree -r -l -z</c>): enough to refuse it before reading it.</summary>
public sealed record SizedTreeEntry(string Mode, string Type, string Blob, long Size, string Path)
{
    /// <summary>Git's mode for a symbolic link: the blob holds the link's target.</summary>
    public const string SymlinkMode = "120000";

    public bool IsSymlink => Mode == SymlinkMode;
}
