namespace GitOrch.EndToEnd.Tests.Support;

/// <summary>
/// The replicated control plane's process tests (etcd members and three controllers each) run one
/// at a time, after the parallel tests: their takeover times are measured, not raced against a full machine.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ReplicationCollection
{
    public const string Name = "replication";
}
