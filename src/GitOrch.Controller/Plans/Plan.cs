using GitOrch.Core.Diagnostics;

namespace GitOrch.Controller.Plans;

/// <summary>What merging head into base does, object by object: the answer of <c>gitorch plan</c>.</summary>
public sealed record Plan(
    string Base,
    string Head,
    bool Valid,
    IReadOnlyList<Diagnostic> Diagnostics,
    IReadOnlyList<ObjectPlan> Objects,
    IReadOnlyList<SecurityNote> Security,
    IReadOnlyList<ApprovalNote> Approvals)
{
    public bool HasChanges => Objects.Count > 0;
}

/// <summary>One object that differs: <c>+</c> added, <c>-</c> removed, <c>~</c> changed.</summary>
public sealed record ObjectPlan(string Action, string Kind, string Namespace, string Name, IReadOnlyList<FieldChange> Fields, IReadOnlyList<PodChange> Pods)
{
    public string Display => Namespace.Length == 0 ? $"{Kind} {Name}" : $"{Kind} {Namespace}/{Name}";
}

public sealed record FieldChange(string Path, string? Before, string? After);

/// <summary>A generated pod that changes: "web-1: previous (1.16) → next (1.17), in place".</summary>
public sealed record PodChange(string Pod, string Action, string Description);

/// <summary>A weakening of the sandbox that the change adds, and the exception that permits it.</summary>
public sealed record SecurityNote(string Object, string Field, string Exception, string What);

public sealed record ApprovalNote(string Object, int From, int To, int Step, int Limit, IReadOnlyList<string> Approvers, string Message);
