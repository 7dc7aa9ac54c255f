namespace GitOrch.Git;

/// <summary>How a path changed between two trees.</summary>
public enum ChangeType
{
    Added,
    Modified,
    Deleted,
}

/// <summary>One changed file between two trees (from <c>git diff-tree -r -z</c>).</summary>
public sealed record TreeChange(ChangeType Type, string Path, string? OldBlob, string? NewBlob);

/// <summary>A file in a tree (from <c>git ls-tree -r -z</c>).</summary>
public sealed record TreeEntry(string Mode, string Type, string Blob, string Path);

/// <summary>The facts of a commit that GitOrch records.</summary>
public sealed record CommitInfo(string Sha, string AuthorName, string AuthorEmail, DateTimeOffset AuthorTime, string Subject, string Message, IReadOnlyList<string> Parents);
