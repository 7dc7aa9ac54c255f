using GitOrch.Core.Diagnostics;

namespace GitOrch.Controller.Ui;

/// <summary>The last lines a pod's container wrote, from the agent of its node (null when the node cannot say).</summary>
internal static class ContainerOutput
{
    private static readonly HttpClient Client = new() { Timeout = TimeSpan.FromSeconds(3) };

    public static async Task<string?> TailAsync(ControllerService controller, ObjectRef pod, string container, int lines, CancellationToken ct)
    {
        var node = controller.Agents.NodeOf(pod.Key);
        if (node is null || !controller.Agents.Reports.TryGetValue(node, out var report) || report.LogsUrl is null)
        {
            return null;
        }

        try
        {
            var url = $"{report.LogsUrl.TrimEnd('/')}/logs?pod={Uri.EscapeDataString(pod.Key)}&container={Uri.EscapeDataString(container)}&tail={lines}";
            using var response = await Client.GetAsync(url, ct);
            return response.IsSuccessStatusCode ? await response.Content.ReadAsStringAsync(ct) : null;
        }
        catch (HttpRequestException)
        {
            return null;
        }
        catch (TaskCanceledException) when (!ct.IsCancellationRequested)
        {
            return null;
        }
    }
}
