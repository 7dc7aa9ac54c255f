using GitOrch.Core.Diagnostics;

namespace GitOrch.History;

/// <summary>A config repo commit the controller has seen: applied, or rejected with its diagnostics.</summary>
public sealed record CommitRecord(
    string Sha,
    string State,
    string AuthorName,
    string AuthorEmail,
    string Subject,
    DateTimeOffset CommittedAt,
    DateTimeOffset ProcessedAt,
    IReadOnlyList<Diagnostic> Diagnostics,
    int ObjectsChanged,
    string? Note)
{
    public const string Applied = "applied";
    public const string Rejected = "rejected";
}

/// <summary>One change to one object inside a batch: the new object (null when deleted) and what changed.</summary>
public sealed record ObjectChange(ObjectRef Ref, string? ObjectJson, IReadOnlyList<string> Fields, string? File);

/// <summary>
/// Versions written together: one external commit, or one mechanical change. A batch becomes one
/// commit on the mirror.
/// </summary>
public sealed record ChangeBatch(
    string Changer,
    ChangeKind Kind,
    string? SourceCommit,
    string Message,
    string AuthorName,
    string AuthorEmail,
    IReadOnlyList<ObjectChange> Changes);

/// <summary>A stored version of an object.</summary>
public sealed record VersionRecord(
    ObjectRef Ref,
    int Version,
    long Batch,
    string Changer,
    ChangeKind Kind,
    string? SourceCommit,
    DateTimeOffset CreatedAt,
    IReadOnlyList<string> Fields,
    bool Deleted,
    string? ObjectJson)
{
    /// <summary>Set when the version was read from the Git mirror (the store no longer keeps it): the mirror commit.</summary>
    public string? MirrorCommit { get; init; }
}

/// <summary>The current state of an object (its latest version).</summary>
public sealed record StoredObject(ObjectRef Ref, int Version, bool Deleted, string? File, string ObjectJson, string LastChanger, DateTimeOffset UpdatedAt);

/// <summary>A batch as stored, for the mirror.</summary>
public sealed record BatchRecord(long Id, string Changer, ChangeKind Kind, string? SourceCommit, string Message, string AuthorName, string AuthorEmail, DateTimeOffset CreatedAt);
