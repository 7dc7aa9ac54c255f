using System.Net;
using System.Net.Sockets;

namespace GitOrch.Cli.Tests.Commands;

/// <summary>`gitorch controller --etcd` refuses what it cannot do, saying what to do, before it writes any state.</summary>
public sealed class ControllerCommandTests
{
    [Theory]
    [InlineData("--etcd", "ftp://127.0.0.1:2379", "--etcd ftp://127.0.0.1:2379: not an etcd client URL; give http(s)://HOST:PORT")]
    [InlineData("--lease-ttl", "30", "--lease-ttl 30: the leader's lease lives 2 to 10 seconds")]
    [InlineData("--name", "r 1", "--name r 1: a replica name is 1 to 63 letters, digits")]
    [InlineData("--etcd-prefix", "/gitorch", "--etcd-prefix /gitorch: a key prefix ends with '/'")]
    [InlineData("--listen", "https://127.0.0.1:0", "a replica needs fixed ports in --listen and --agent-listen")]
    public void BadReplicaOptions_AreRefusedWithWhatToDo_AndNoStateIsCreated(string option, string value, string message)
    {
        var state = Path.Combine(Path.GetTempPath(), "gitorch-etcd-refused-" + Guid.NewGuid().ToString("N"));
        List<string> args = ["controller", "--repo", ".", "--state", state, "--etcd", "http://127.0.0.1:2379", "--listen", "https://127.0.0.1:17780"];
        var at = args.IndexOf(option);
        if (at >= 0)
        {
            args[at + 1] = value;
        }
        else
        {
            args.AddRange([option, value]);
        }

        var (exit, _, stderr) = CliRunner.Run([.. args]);

        Assert.Equal((1, true), (exit, stderr.Contains(message, StringComparison.Ordinal)));
        Assert.False(Directory.Exists(state));
    }

    [Theory]
    [InlineData("controller", "-3")]
    [InlineData("controller", "0")]
    [InlineData("up", "NaN")]
    public void APollIntervalThatIsNotAPositiveNumberOfSeconds_IsRefused_AndNoStateIsCreated(string verb, string value)
    {
        var state = Path.Combine(Path.GetTempPath(), "gitorch-poll-refused-" + Guid.NewGuid().ToString("N"));

        var (exit, _, stderr) = CliRunner.Run(verb, "--repo", ".", "--state", state, "--poll", value, "--listen", "https://127.0.0.1:17783", "--agent-listen", "https://127.0.0.1:17784");

        Assert.Equal(1, exit);
        Assert.Contains($"--poll {value}: give the seconds between polls of the branch as a number greater than 0", stderr, StringComparison.Ordinal);
        Assert.False(Directory.Exists(state));
    }

    [Fact]
    public void AnEtcdThatDoesNotAnswer_StopsTheReplicaWithExit1_NamingTheEndpoints()
    {
        // A port bound for the whole test and never listened on: a connection there is refused, and
        // no other process (another test's etcd member) can take it meanwhile, as it could a port
        // that was only found free.
        using var bound = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        bound.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var port = ((IPEndPoint)bound.LocalEndPoint!).Port;
        var state = Directory.CreateTempSubdirectory("gitorch-etcd-down-").FullName;
        try
        {
            var (exit, _, stderr) = CliRunner.Run("controller", "--repo", ".", "--state", state, "--etcd", $"http://127.0.0.1:{port}", "--listen", "https://127.0.0.1:17781", "--agent-listen", "https://127.0.0.1:17782");

            Assert.True(exit == 1, $"exit code {exit}, stderr: {stderr}");
            Assert.Contains($"etcd does not answer at http://127.0.0.1:{port}", stderr, StringComparison.Ordinal);
            Assert.Contains("check --etcd", stderr, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(state, recursive: true);
        }
    }
}
