using System.Text.Json.Nodes;
using GitOrch.Core.Diagnostics;
using GitOrch.Core.Validation;

namespace GitOrch.History.Store;

/// <summary>
/// The only way to change an object. Every writer (the reconciler applying a commit, a control
/// loop's answer, the built-in loops, node reports, the PinnedDeployment loop) holds this, never
/// the store's own write path; each write passes admission (ownership, schema, limits, security
/// policy) inside the same transaction that writes it, or nothing changes.
/// </summary>
public interface IObjectWriter
{
    /// <summary>
    /// A loop's change, read-modify-write: <paramref name="mutate"/> changes the current object in
    /// place and returns the fields it meant to change. Admission judges the real difference.
    /// </summary>
    WriteOutcome Update(ObjectRef obj, string loop, string? sourceCommit, string message, Func<JsonObject, IReadOnlyList<string>> mutate);

    /// <summary>A generating loop creates, replaces or deletes whole objects (one batch, all or nothing).</summary>
    WriteOutcome Write(ChangeBatch batch);

    /// <summary>
    /// A config commit: its record, its batch, and objects that moved to another file. The commit
    /// was validated as a whole (<paramref name="validated"/>): schema, limits, security and
    /// ownership ran over every object of it, so admission checks that the batch is that commit's.
    /// </summary>
    WriteOutcome ApplyCommit(CommitRecord commit, ChangeBatch? batch, ValidationResult validated, IReadOnlyList<(ObjectRef Object, string File)> moved);

    /// <summary>Records a rejected commit; no object changes.</summary>
    void RecordRejected(CommitRecord commit);
}
