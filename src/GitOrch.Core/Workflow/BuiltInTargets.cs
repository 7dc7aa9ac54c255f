using GitOrch.Core.Manifests;

namespace GitOrch.Core.Workflow;

/// <summary>
/// The targets every pod's workflow has: scheduled.target → network.target and storage.target →
/// running.target.
/// </summary>
public static class BuiltInTargets
{
    public const string Scheduled = "scheduled.target";
    public const string Network = "network.target";
    public const string Storage = "storage.target";
    public const string Running = "running.target";

    public static IReadOnlyList<UnitDeclaration> All { get; } =
    [
        // Each built-in target requires the built-in step placed before it, so that a failed
        // step fails what depends on it (ordering alone would not, as in systemd).
        Declare(Scheduled, "The pod has a node", after: [], requires: [Ownership.BuiltInLoops.Scheduler]),
        Declare(Network, "The pod has its address or ports", after: [Scheduled], requires: [Scheduled, Ownership.BuiltInLoops.Ipam]),
        Declare(Storage, "The pod's images and volumes are ready", after: [Scheduled], requires: [Scheduled, Ownership.BuiltInLoops.ImagePull]),
        Declare(Running, "The pod runs", after: [Network, Storage], requires: [Network, Storage, Ownership.BuiltInLoops.Runtime]),
    ];

    public static bool IsBuiltIn(string name) => All.Any(t => t.Name == name);

    /// <summary>A built-in target with a Git Target's ordering and requirements added (the Git object is its source).</summary>
    public static UnitDeclaration Extend(UnitDeclaration builtIn, Target extension, Loading.LoadedObject source)
    {
        var add = extension.Spec.ToOrdering();
        var merged = new UnitOrdering(
            [.. builtIn.Ordering.Before.Union(add.Before)],
            [.. builtIn.Ordering.After.Union(add.After)],
            [.. builtIn.Ordering.Requires.Union(add.Requires)],
            [.. builtIn.Ordering.Wants.Union(add.Wants)]);
        return builtIn with { Description = extension.Spec.Description ?? builtIn.Description, Ordering = merged, Source = source };
    }

    private static UnitDeclaration Declare(string name, string description, IReadOnlyList<string> after, IReadOnlyList<string> requires) =>
        new(name, UnitType.Target, description, new TargetSpec { Description = description, After = after, Requires = requires }.ToOrdering(), null);
}
