using GitOrch.Core.Loading;
using GitOrch.Core.Manifests;

namespace GitOrch.Core.Rollouts;

/// <summary>A PinnedDeployment step that needs a reviewer's approval.</summary>
public sealed record ApprovalNeed(LoadedObject Object, int From, int To, int Limit, IReadOnlyList<string> Approvers)
{
    public int Step => Math.Abs(To - From);

    public string Describe() =>
        $"{Object.Ref.Display} moves percentNext {From} → {To} (a step of {Step}), more than rollouts.maxStepPercent {Limit}; it needs an approving review from one of: {(Approvers.Count == 0 ? "(no approvers are listed in the ClusterPolicy)" : string.Join(", ", Approvers))}";
}

/// <summary>
/// Which percentage steps need approval: those larger than <c>rollouts.maxStepPercent</c> of the
/// ClusterPolicy in force before the change (a change cannot raise its own limit). A new
/// PinnedDeployment starts where it says and needs none.
/// </summary>
public static class RolloutApprovals
{
    public static IReadOnlyList<ApprovalNeed> Needed(IEnumerable<LoadedObject> before, IEnumerable<LoadedObject> after)
    {
        var beforeList = before.ToList();
        var policy = beforeList.Select(o => o.Object).OfType<ClusterPolicy>().FirstOrDefault()?.Spec.Rollouts
            ?? after.Select(o => o.Object).OfType<ClusterPolicy>().FirstOrDefault()?.Spec.Rollouts;
        if (policy?.MaxStepPercent is not { } limit)
        {
            return [];
        }

        var previous = beforeList.Where(o => o.Object is PinnedDeployment).ToDictionary(o => o.Ref, o => ((PinnedDeployment)o.Object).Spec.PercentNext);
        var needs = new List<ApprovalNeed>();
        foreach (var obj in after.Where(o => o.Object is PinnedDeployment))
        {
            var percent = ((PinnedDeployment)obj.Object).Spec.PercentNext;
            if (previous.TryGetValue(obj.Ref, out var from) && Math.Abs(percent - from) > limit)
            {
                needs.Add(new ApprovalNeed(obj, from, percent, limit, policy.Approvers ?? []));
            }
        }

        return needs;
    }
}
