using GitOrch.Core.Diagnostics;

namespace GitOrch.Controller.Reconcile;

/// <summary>What happened to one config commit.</summary>
public sealed record ApplyOutcome(string Commit, bool Applied, IReadOnlyList<ObjectRef> Changed, IReadOnlyList<Diagnostic> Diagnostics);
