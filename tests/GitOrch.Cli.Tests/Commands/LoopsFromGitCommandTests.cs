using GitOrch.Cli.Tests.Support;

namespace GitOrch.Cli.Tests.Commands;

/// <summary><c>gitorch loops</c> lists a ControlLoop from Git after the built-ins, with its source and handler.</summary>
[Collection(FailingRequiredLoopFixture.Collection)]
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class LoopsFromGitCommandTests(FailingRequiredLoopFixture fixture)
{
    [Fact]
    public async Task ALoopFromGit_IsListedWithItsSourceOwnsReadsStepAndHandler()
    {
        var (exit, stdout, _) = await fixture.Controller.RunAsync("loops");

        Assert.Equal(0, exit);
        var blocks = stdout.TrimEnd('\n').Split("\n\n");
        Assert.Equal(6, blocks.Length);
        var mounter = blocks.Single(b => b.StartsWith("mounter (", StringComparison.Ordinal)).Split('\n');
        Assert.StartsWith("mounter (cluster/loops.yaml:", mounter[0], StringComparison.Ordinal);
        Assert.Equal(
            [
                "  Mounts volumes (a test script that fails)",
                "  kinds     Pod",
                "  owns      Pod:status.volumes",
                "  reads     Pod:spec.volumes",
                "  step      after scheduled.target; before storage.target; requires -; wants -",
                "            timeout 30s, 1 attempt(s)",
                $"  handler   exec: {fixture.Script}",
            ],
            mounter[1..]);
    }
}
