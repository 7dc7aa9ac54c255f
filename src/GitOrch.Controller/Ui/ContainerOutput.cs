using GitOrch.Core.Diagnostics;

namespace GitOrch.Controller.Ui;

/// <summary>The last lines a pod's container wrote, from the agent of its node (null when the node cannot say).</summary>
internal static class ContainerOutput
{
    public static async Task<string?> TailAsync(ControllerService controller, ObjectRef pod, string container, int lines, CancellationToken ct)
    {
        var node = controller.Agents.NodeOf(pod.Key);
        if (node is null || controller.Agents.Logs.For(node) is not { } channel)
        {
            return null;
        }

        // The agent's own authenticated channel, as for `gitorch logs --container`.
        var reply = await channel.RequestAsync(pod.Key, container, lines, TimeSpan.FromSeconds(3), ct);
        return reply is { Found: true } ? string.Join('\n', reply.Lines) : null;
    }
}
