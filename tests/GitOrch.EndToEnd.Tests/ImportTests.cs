using System.Diagnostics;
using GitOrch.EndToEnd.Tests.Support;

namespace GitOrch.EndToEnd.Tests;

/// <summary>
/// <c>gitorch import k8s</c> as a process (in the second pass of .ci/run, the published binary,
/// whose framework is trimmed): the Kubernetes and YAML libraries' reflection must reach the same
/// framework code as in-process, so the process writes exactly what the in-process command writes.
/// </summary>
public sealed class ImportTests
{
    [Theory]
    [InlineData("guestbook", 0)]
    [InlineData("pss", 1)]
    public async Task ImportK8s_AsAProcess_WritesWhatTheInProcessCommandWrites(string fixture, int exit)
    {
        var path = Path.Combine(Path.GetDirectoryName(GitRepo.ExampleRepo())!, "tests", "GitOrch.Import.Tests", "Fixtures", fixture);
        var (expectedExit, expectedOut, expectedErr) = Command.Run("import", "k8s", path);
        Assert.Equal(exit, expectedExit);
        Assert.NotEmpty(expectedOut + expectedErr);

        using var process = Process.Start(GitorchBinary.StartInfo("import", "k8s", path))!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }

        Assert.Equal((exit, expectedOut, expectedErr), (process.ExitCode, await stdout, await stderr));
    }
}
