using System.Text.Json.Nodes;
using GitOrch.Controller.Agents;
using GitOrch.Core.AgentApi;
using GitOrch.Core.Manifests;
using GitOrch.Core.Ownership;
using GitOrch.Workflow.Loops;

namespace GitOrch.Controller.Loops;

/// <summary>
/// The built-in <c>image-pull</c> loop: every container image of an oci pod must be in its node's
/// image store (images are imported, there is no registry). Until they are, the step waits and
/// says which image is missing and how to import it. Writes <c>status.images</c>.
/// </summary>
public sealed class ImagePull(AgentGateway agents) : IBuiltInLoop
{
    public static readonly TimeSpan RetryMissing = TimeSpan.FromSeconds(5);

    public string Name => BuiltInLoops.ImagePull;

    public ValueTask<LoopAnswer> RunAsync(BuiltInStep step, CancellationToken ct)
    {
        var node = step.Object["status"]?["nodeName"]?.ToString()
            ?? throw new LoopCallException("the pod has no node yet (status.nodeName); the scheduler step must run first");
        var spec = step.Object["spec"]!.Bind<PodSpec>()!;
        if (spec.Runtime == PodRuntime.Process)
        {
            return ValueTask.FromResult(BuiltInStep.Set("process runtime: no image to pull"));
        }

        var images = new JsonObject();
        foreach (var container in (spec.InitContainers ?? []).Concat(spec.Containers))
        {
            var image = container.Image!;
            switch (agents.HasImage(node, image))
            {
                case null:
                    return ValueTask.FromResult(BuiltInStep.Requeue(RetryMissing, $"node {node} has not reported its images yet (is its agent running?)"));
                case false:
                    return ValueTask.FromResult(BuiltInStep.Requeue(RetryMissing, Missing(image, node, agents.StateDirOf(node))));
            }

            images[container.Name] = image;
        }

        return ValueTask.FromResult(BuiltInStep.Set($"{images.Count} image(s) present on {node}", ("status.images", images)));
    }

    /// <summary>What to run, on the node, to import the image into the store that node's agent uses.</summary>
    public static string Missing(string image, string node, string? stateDir) => stateDir is null
        ? $"image {image} is not in node {node}'s image store; import it there with `gitorch image import {image} PATH --node {node}` (see example-repo/README.md)"
        : $"image {image} is not in node {node}'s image store ({Path.Combine(stateDir, "images")}); import it there with `gitorch image import {image} PATH --state {Quote(stateDir)}`";

    private static string Quote(string path) => path.All(c => char.IsLetterOrDigit(c) || "/._-+:@".Contains(c)) ? path : "'" + path.Replace("'", "'\\''") + "'";
}
