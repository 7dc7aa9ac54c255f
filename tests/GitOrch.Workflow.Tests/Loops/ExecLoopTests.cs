using GitOrch.Core.Schema;
using GitOrch.Workflow.Loops;
using GitOrch.Workflow.Tests.Support;

namespace GitOrch.Workflow.Tests.Loops;

/// <summary>Calling an exec loop: real processes through /bin/sh scripts.</summary>
public sealed class ExecLoopTests : IDisposable
{
    private static readonly Dictionary<string, string> NoEnv = [];

    private readonly TempFolder _folder = new("gitorch-exec-", openToAll: true);
    private readonly Invocations _invocations = new();

    public void Dispose() => _folder.Dispose();

    private static string[] Sh(string script) => ["/bin/sh", "-c", script];

    private Task<(int ExitCode, string Stdout)> RunAsync(string script, string input = "{}", IReadOnlyDictionary<string, string>? env = null, CancellationToken ct = default) =>
        ExecLoop.RunAsync(Sh(script), env ?? NoEnv, input, _invocations.Create(), ct);

    [Fact]
    public async Task TheLoopReadsTheObjectOnStdin_AndItsStdoutIsTheAnswer()
    {
        var input = """{"metadata":{"name":"web"},"spec":{"volumes":[{"name":"data"}]}}""";

        var (exit, stdout) = await RunAsync("""obj=$(cat); printf '{"set": {"status.seen": %s}, "message": "read %s bytes"}' "$obj" "${#obj}" """, input);

        Assert.Equal(0, exit);
        Assert.Equal($$"""{"set": {"status.seen": {{input}}}, "message": "read {{input.Length}} bytes"}""", stdout);
        var answer = LoopAnswer.TryParse(stdout, out var error);
        Assert.Null(error);
        Assert.Equal("web", (string?)answer!.Set["status.seen"]!.SelectPath("metadata.name"));
    }

    [Fact]
    public async Task TheLoopGetsItsEnvironment()
    {
        var (exit, stdout) = await RunAsync("printf '%s/%s' \"$GITORCH_OBJECT\" \"$GREETING\"", env: new Dictionary<string, string> { ["GITORCH_OBJECT"] = "Pod/demo/web", ["GREETING"] = "hello" });

        Assert.Equal((0, "Pod/demo/web/hello"), (exit, stdout));
    }

    [Fact]
    public async Task ANonZeroExit_IsReturnedWithWhatTheLoopPrinted()
    {
        var (exit, stdout) = await RunAsync("cat > /dev/null; echo '{\"message\": \"no quota\"}'; exit 7");

        Assert.Equal((7, "{\"message\": \"no quota\"}\n"), (exit, stdout));
    }

    [Fact]
    public async Task StderrLines_BecomeTheStepsLogLines_InOrder()
    {
        var (exit, stdout) = await RunAsync("echo 'connecting to nfs.example' >&2; echo 'mounted /srv/data' >&2; printf '{}'");

        Assert.Equal((0, "{}"), (exit, stdout));
        Assert.Equal([("info", "connecting to nfs.example"), ("info", "mounted /srv/data")], _invocations.Logs.ToArray());
    }

    [Fact]
    public async Task ALoopThatIgnoresItsInput_IsNotAnError()
    {
        var (exit, stdout) = await RunAsync("exit 0", input: new string('x', 1 << 20));

        Assert.Equal((0, string.Empty), (exit, stdout));
    }

    [Fact]
    public async Task AMissingCommand_IsALoopCallException_SayingWhatToCheck()
    {
        var missing = _folder.File("no-such-loop");

        var error = await Assert.ThrowsAsync<LoopCallException>(() =>
            ExecLoop.RunAsync([missing], NoEnv, "{}", _invocations.Create(), CancellationToken.None));

        Assert.Equal($"cannot run {missing}: no such file; check the loop's exec.command", error.Message);
    }

    [Fact]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public async Task ACommandThatIsNotExecutable_IsALoopCallException_SayingSo()
    {
        var script = _folder.File("loop.sh");
        await File.WriteAllTextAsync(script, "#!/bin/sh\necho '{}'\n");
        File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite);

        var error = await Assert.ThrowsAsync<LoopCallException>(() =>
            ExecLoop.RunAsync([script], NoEnv, "{}", _invocations.Create(), CancellationToken.None));

        Assert.Equal($"cannot run {script}: permission denied (is it executable?); check the loop's exec.command", error.Message);
    }

    [Fact]
    public async Task AHangingLoop_IsKilled_WhenTheStepIsCancelled()
    {
        var pidFile = _folder.File("pid");
        using var cts = new CancellationTokenSource();

        var run = RunAsync($"echo $$ > '{pidFile}'; exec sleep 600", ct: cts.Token);
        var pid = await Processes.PidFromAsync(pidFile);
        Assert.True(Processes.IsRunning(pid), "the loop runs before the cancellation");
        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Wait.ForAsync(run, "the cancelled loop call to end"));
        await Wait.UntilAsync(() => !Processes.IsRunning(pid), $"the loop's process {pid} is gone");
    }

    [Fact]
    public async Task AHangingLoop_IsKilledWithItsChildren_WhenTheStepIsCancelled()
    {
        var pidFile = _folder.File("child-pid");
        using var cts = new CancellationTokenSource();

        var run = RunAsync($"sleep 600 & echo $! > '{pidFile}'; wait", ct: cts.Token);
        var child = await Processes.PidFromAsync(pidFile);
        Assert.True(Processes.IsRunning(child), "the loop's child runs before the cancellation");
        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Wait.ForAsync(run, "the cancelled loop call to end"));
        await Wait.UntilAsync(() => !Processes.IsRunning(child), $"the loop's child process {child} is gone");
    }

    [Fact]
    public async Task ALoopThatPrintsTooMuch_FailsSayingSo_InsteadOfHanging()
    {
        // 2 MB on stdout, over the 1 MiB limit. The call must end with the limit's message on its
        // own, not only when the step's timeout cancels it.
        var pidFile = _folder.File("pid");
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));

        var error = await Assert.ThrowsAsync<LoopCallException>(() =>
            RunAsync($"echo $$ > '{pidFile}'; head -c 2000000 /dev/zero | tr '\\0' a", ct: timeout.Token));

        Assert.Equal("printed more than 1048576 bytes on stdout; answer with a small JSON object and log on stderr", error.Message);
        var pid = await Processes.PidFromAsync(pidFile);
        await Wait.UntilAsync(() => !Processes.IsRunning(pid), $"the loop's process {pid} is gone");
    }
}
