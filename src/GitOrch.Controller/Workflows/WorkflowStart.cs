using GitOrch.Core.Diagnostics;

namespace GitOrch.Controller.Workflows;

/// <summary>Work for the workflow starter: objects that changed in a commit, a re-plan, or recovery of objects that never got a workflow.</summary>
public sealed record WorkflowStart(WorkflowStartKind Kind, IReadOnlyList<ObjectRef> Objects, string? Commit);

public enum WorkflowStartKind
{
    Changed,
    Replan,
    StartMissing,
}
