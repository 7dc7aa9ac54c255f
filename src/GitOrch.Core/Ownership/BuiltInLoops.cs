using GitOrch.Core.Manifests;
using GitOrch.Core.Workflow;

namespace GitOrch.Core.Ownership;

/// <summary>
/// The control loops GitOrch ships. They are declared through the same registry as loops from the
/// config repo, so the same overlap and cycle checks hold for them.
/// </summary>
public static class BuiltInLoops
{
    public const string Scheduler = "scheduler";
    public const string Ipam = "ipam";
    public const string ImagePull = "image-pull";
    public const string Runtime = "runtime";
    public const string PinnedDeployment = "pinned-deployment";

    public static IReadOnlyList<LoopDeclaration> All { get; } =
    [
        Declare(Scheduler, "Chooses a node by free cpu/memory (bin-packing) and nodeSelector",
            [Kinds.Pod], ["Pod:status.nodeName"],
            ["Pod:spec.nodeSelector", "Pod:spec.containers[*].resources", "Pod:spec.initContainers[*].resources", "Pod:spec.availability"],
            before: [BuiltInTargets.Scheduled], after: []),
        Declare(Ipam, "Gives the pod an IPv6 address from the node's /64 (oci) or host ports (process)",
            [Kinds.Pod], ["Pod:status.podIP", "Pod:status.ports"],
            ["Pod:status.nodeName", "Pod:spec.runtime", "Pod:spec.containers[*].ports", "Pod:spec.initContainers[*].ports"],
            before: [BuiltInTargets.Network], after: [BuiltInTargets.Scheduled]),
        Declare(ImagePull, "Makes sure every container image is in the node's image store",
            [Kinds.Pod], ["Pod:status.images"],
            ["Pod:status.nodeName", "Pod:spec.runtime", "Pod:spec.containers[*].image", "Pod:spec.initContainers[*].image"],
            before: [BuiltInTargets.Storage], after: [BuiltInTargets.Scheduled]),
        Declare(Runtime, "Asks the node's agent to start or restart the pod",
            [Kinds.Pod], ["Pod:status.phase", "Pod:status.containers", "Pod:status.initContainers", "Pod:status.restarts"],
            ["Pod:spec", "Pod:status.nodeName", "Pod:status.podIP", "Pod:status.ports", "Pod:status.images"],
            before: [BuiltInTargets.Running], after: [BuiltInTargets.Network, BuiltInTargets.Storage]),
        Declare(PinnedDeployment, "Generates the pods <name>-<ordinal> of a PinnedDeployment and moves them between versions",
            [Kinds.PinnedDeployment], ["PinnedDeployment:status"],
            ["PinnedDeployment:spec", "Pod:status.phase"],
            before: [], after: []),
    ];

    public static bool IsBuiltIn(string name) => All.Any(l => l.Name == name);

    private static LoopDeclaration Declare(
        string name, string description, IReadOnlyList<string> kinds, IReadOnlyList<string> owns, IReadOnlyList<string> reads,
        IReadOnlyList<string> before, IReadOnlyList<string> after) =>
        new(name, description, kinds, owns.Select(FieldPath.Parse).ToList(), reads.Select(FieldPath.Parse).ToList(),
            new StepPlacement { Before = before, After = after, Requires = after, TimeoutSeconds = 300 }, null, null);
}
