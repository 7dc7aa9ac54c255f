namespace GitOrch.Cli.Tests.Commands;

/// <summary>`gitorch controller` refuses what it cannot do before it opens anything.</summary>
public sealed class ControllerCommandTests
{
    [Fact]
    public void Etcd_IsRefusedWithWhatToDo_AndNoStateIsCreated()
    {
        var state = Path.Combine(Path.GetTempPath(), "gitorch-etcd-refused-" + Guid.NewGuid().ToString("N"));

        var (exit, _, stderr) = CliRunner.Run("controller", "--repo", ".", "--state", state, "--etcd", "http://127.0.0.1:2379,http://127.0.0.1:22379");

        Assert.Equal(1, exit);
        Assert.StartsWith("gitorch: --etcd http://127.0.0.1:2379,http://127.0.0.1:22379: the replicated control plane is not available in this version", stderr, StringComparison.Ordinal);
        Assert.Contains("docs/replication.md", stderr, StringComparison.Ordinal);
        Assert.False(Directory.Exists(state));
    }
}
