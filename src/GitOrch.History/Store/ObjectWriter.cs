using System.Text.Json.Nodes;
using GitOrch.Core.Admission;
using GitOrch.Core.Diagnostics;
using GitOrch.Core.Manifests;
using GitOrch.Core.Ownership;
using GitOrch.Core.Rollouts;
using GitOrch.Core.Validation;

namespace GitOrch.History.Store;

/// <summary>
/// The admission gate in front of the store: every object write comes through here and is judged
/// by <see cref="ObjectAdmission"/> against the policy of the moment, inside the write's own
/// transaction (so what was judged is what is written).
/// </summary>
public sealed class ObjectWriter(HistoryStore store, IAdmissionPolicySource policy) : IObjectWriter
{
    public WriteOutcome Update(ObjectRef obj, string loop, string? sourceCommit, string message, Func<JsonObject, IReadOnlyList<string>> mutate)
    {
        var changer = Changers.Loop(loop);
        var batch = store.Update(obj, loop, sourceCommit, message, mutate,
            (before, after, file) => ObjectAdmission.Check(new ObjectWrite(obj, changer, before, after, Generated(changer, obj, before, after, file)), policy.Policy),
            out var refused);
        return new WriteOutcome(batch, refused);
    }

    public WriteOutcome Write(ChangeBatch batch)
    {
        var id = store.Write(batch, (change, currentJson, file) =>
        {
            var before = currentJson is null ? null : GitOrch.Core.Manifests.ManifestJson.Parse(currentJson);
            var after = change.ObjectJson is null ? null : GitOrch.Core.Manifests.ManifestJson.Parse(change.ObjectJson);
            if (after is not null && before is not null && before.TryGetPropertyValue("status", out var status) && !after.ContainsKey("status"))
            {
                after["status"] = status?.DeepClone(); // A replaced object keeps the status its loops wrote.
            }

            return ObjectAdmission.Check(new ObjectWrite(change.Ref, batch.Changer, before, after, Generated(batch.Changer, change.Ref, before, after, file)), policy.Policy);
        }, out var refused);
        return new WriteOutcome(id, refused);
    }

    public WriteOutcome ApplyCommit(CommitRecord commit, ChangeBatch? batch, ValidationResult validated, IReadOnlyList<(ObjectRef Object, string File)> moved)
    {
        var refused = new List<Diagnostic>();
        if (!validated.IsValid)
        {
            refused.AddRange(validated.Diagnostics.Where(d => d.IsError));
        }

        if (batch is not null)
        {
            var declared = Declared(validated, batch);
            foreach (var change in batch.Changes)
            {
                if (batch.Kind != ChangeKind.External || !batch.Changer.StartsWith("git/", StringComparison.Ordinal))
                {
                    refused.Add(Diagnostic.Error(new SourceLocation(ObjectAdmission.RenderedPath(change.Ref), 1, 1), DiagnosticCodes.WritesUnownedField,
                        $"{change.Ref.Display}: {batch.Changer} is not a commit; only git/<email> applies commits", change.Ref));
                }
                else if (change.ObjectJson is not null && !declared.Contains(change.Ref))
                {
                    refused.Add(Diagnostic.Error(new SourceLocation(ObjectAdmission.RenderedPath(change.Ref), 1, 1), DiagnosticCodes.WritesUnownedField,
                        $"{change.Ref.Display}: is not an object of commit {commit.Sha}, so the commit cannot write it", change.Ref));
                }
            }
        }

        if (refused.Count > 0)
        {
            return new WriteOutcome(0, refused);
        }

        return new WriteOutcome(store.ApplyCommit(commit, batch, moved), []);
    }

    public void RecordRejected(CommitRecord commit) => store.RecordRejected(commit);

    /// <summary>
    /// Which objects the batch writes that the commit declares: one lookup per written object in
    /// the validation's index, so a one-file commit does not walk every object.
    /// </summary>
    private static HashSet<ObjectRef> Declared(ValidationResult validated, ChangeBatch batch) =>
        batch.Changes.Where(c => c.ObjectJson is not null && validated.Declares(c.Ref)).Select(c => c.Ref).ToHashSet();

    /// <summary>
    /// The one generating loop: pinned-deployment owns the pods it generated (no file in Git,
    /// labelled with their PinnedDeployment), whole.
    /// </summary>
    private static bool Generated(string changer, ObjectRef obj, JsonObject? before, JsonObject? after, string? file) =>
        changer == Changers.Loop(BuiltInLoops.PinnedDeployment)
        && obj.Kind == Kinds.Pod
        && file is null
        && (before ?? after)?["metadata"]?["labels"]?[PinnedPods.DeploymentLabel] is not null
        && (after is null || after["metadata"]?["labels"]?[PinnedPods.DeploymentLabel] is not null);
}
