namespace GitOrch.Controller.Tests.Replication;

/// <summary>One real etcd member shared by a test class (each test uses its own key prefix).</summary>
public sealed class EtcdMember : IAsyncLifetime
{
    private EtcdCluster? _cluster;

    internal EtcdCluster Cluster => _cluster ?? throw new InvalidOperationException("etcd has not started");

    public string Endpoints => Cluster.Endpoints;

    public async Task InitializeAsync() => _cluster = await EtcdCluster.StartAsync();

    public async Task DisposeAsync()
    {
        if (_cluster is not null)
        {
            await _cluster.DisposeAsync();
        }
    }
}
