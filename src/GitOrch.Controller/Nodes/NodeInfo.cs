namespace GitOrch.Controller.Nodes;

/// <summary>A node the scheduler can place pods on: its labels and capacity (millicores, bytes).</summary>
public sealed record NodeInfo(string Name, IReadOnlyDictionary<string, string> Labels, long CpuMillis, long MemoryBytes)
{
    /// <summary>The node of this machine: its host name, all its cores and memory.</summary>
    public static NodeInfo Local(string? name = null)
    {
        var host = name ?? Environment.MachineName.ToLowerInvariant();
        var clean = new string(host.Select(c => char.IsAsciiLetterOrDigit(c) ? c : '-').ToArray()).Trim('-');
        var memory = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
        return new NodeInfo(clean.Length == 0 ? "local" : clean, new Dictionary<string, string>(), Environment.ProcessorCount * 1000L, memory);
    }
}
