using System.Text.Json;
using GitOrch.Core.Diagnostics;

namespace GitOrch.Controller.Api;

/// <summary>A diagnostic as the API returns it.</summary>
public sealed record DiagnosticModel(string File, int Line, int Column, string Severity, string Code, string Message, string? Object)
{
    public static DiagnosticModel From(Diagnostic d) =>
        new(d.File, d.Line, d.Column, d.IsError ? "error" : "warning", d.Code, d.Message, d.Object?.Key);
}

public sealed record CommitModel(
    string Sha, string State, string Author, string Email, string Subject, DateTimeOffset CommittedAt, DateTimeOffset ProcessedAt,
    int ObjectsChanged, IReadOnlyList<DiagnosticModel> Diagnostics, string? Note);

public sealed record StatusModel(ControllerStatus Controller, IReadOnlyList<CommitModel> Commits, IReadOnlyDictionary<string, int> Objects, IReadOnlyList<NodeModel> Nodes, ReplicationModel? Replication = null);

/// <summary>The control plane's replicas as the answering replica sees them: itself, the leader (null when none is known, with <c>Why</c>) and every live replica.</summary>
public sealed record ReplicationModel(string Replica, string Role, string? Leader, string? Why, IReadOnlyList<ReplicaModel> Replicas);

/// <summary>One replica: its name, role (<c>leader</c>, <c>follower</c>, <c>starting</c>, <c>unavailable</c>) and the URLs it serves.</summary>
public sealed record ReplicaModel(string Name, string Role, string? ApiUrl, string? AgentUrl, DateTimeOffset Since);

public sealed record NodeModel(string Name, IReadOnlyDictionary<string, string> Labels, long CpuMillis, long MemoryBytes);

/// <summary>An object in a listing. <c>InitStep</c>: while a pod's init containers are not all done, the step it waits on (<c>init:NAME</c>).</summary>
public sealed record ObjectSummaryModel(string Kind, string Namespace, string Name, int Version, string LastChanger, DateTimeOffset UpdatedAt, string? Phase, string? Node, string? File, int Restarts = 0, string? InitStep = null);

public sealed record ObjectModel(ObjectSummaryModel Summary, JsonElement Object);

/// <summary>A version. <c>Mirror</c>: the Git mirror commit it was read from, when the store no longer keeps it (history.keepVersions).</summary>
public sealed record VersionModel(int Version, string Changer, string Kind, string? SourceCommit, DateTimeOffset CreatedAt, IReadOnlyList<string> Fields, bool Deleted, JsonElement? Object, string? Mirror = null);

public sealed record DiffModel(string Object, int From, int To, string Diff);

public sealed record BlameModel(string Object, string Field, int Version, string Changer, string Kind, string? SourceCommit, DateTimeOffset CreatedAt, JsonElement? Value);

public sealed record ErrorModel(string Error);

/// <summary>What <c>POST /objects/{kind}/{name}/retry</c> did.</summary>
public sealed record RetryModel(string Object, string Message);
