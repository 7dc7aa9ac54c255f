using GitOrch.Core.Diagnostics;

namespace GitOrch.Workflow.Model;

/// <summary>A structured log line about one object, tagged with its step and commit.</summary>
public sealed record StepLog(DateTimeOffset Time, ObjectRef Object, string Step, string? Commit, long Transaction, int Attempt, string Level, string Message);
