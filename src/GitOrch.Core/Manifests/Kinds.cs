namespace GitOrch.Core.Manifests;

/// <summary>The kinds of gitorch.dev/v1 and the record type each binds to.</summary>
public static class Kinds
{
    public const string Pod = "Pod";
    public const string PinnedDeployment = "PinnedDeployment";
    public const string ControlLoop = "ControlLoop";
    public const string Target = "Target";
    public const string ClusterPolicy = "ClusterPolicy";

    public static IReadOnlyList<string> All { get; } = [Pod, PinnedDeployment, ControlLoop, Target, ClusterPolicy];

    /// <summary>Kinds whose objects a control loop may be attached to.</summary>
    public static IReadOnlyList<string> LoopTargets { get; } = [Pod, PinnedDeployment];

    public static Type? RecordType(string kind) => kind switch
    {
        Pod => typeof(Pod),
        PinnedDeployment => typeof(PinnedDeployment),
        ControlLoop => typeof(ControlLoop),
        Target => typeof(Target),
        ClusterPolicy => typeof(ClusterPolicy),
        _ => null,
    };

    public static bool IsNamespaced(string kind) => kind is Pod or PinnedDeployment;

    /// <summary>The kind a user typed ("pod", "Pods", "pinneddeployment"), or null when it names none.</summary>
    public static string? Resolve(string name)
    {
        foreach (var kind in All)
        {
            if (string.Equals(kind, name, StringComparison.OrdinalIgnoreCase) || string.Equals(kind + "s", name, StringComparison.OrdinalIgnoreCase))
            {
                return kind;
            }
        }

        return null;
    }
}
