namespace GitOrch.Controller.Nodes;

/// <summary>What the pods on a node reserve together: cpu (millicores), memory (bytes), and how many pods.</summary>
public readonly record struct NodeUsage(long CpuMillis, long MemoryBytes, int Pods);
