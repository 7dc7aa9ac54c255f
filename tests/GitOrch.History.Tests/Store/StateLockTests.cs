using GitOrch.History.Store;
using GitOrch.History.Tests.Support;

namespace GitOrch.History.Tests.Store;

public sealed class StateLockTests : IDisposable
{
    private readonly TempFolder _state = new();

    public void Dispose() => _state.Dispose();

    [Fact]
    public void Acquire_WritesThePid_IntoThePidFile_ReplacingOlderContent()
    {
        File.WriteAllText(_state.File(StateLock.PidFileName), "a much longer leftover line from an earlier run\n");

        StateLock.Acquire(_state.Path).Dispose();

        Assert.Equal($"{Environment.ProcessId}\n", File.ReadAllText(_state.File(StateLock.PidFileName)));
    }

    [Fact]
    public void SecondAcquire_Throws_NamingThePidAndTheStateFlag()
    {
        using var held = StateLock.Acquire(_state.Path);

        var ex = Assert.Throws<StateException>(() => StateLock.Acquire(_state.Path));

        Assert.Equal(
            $"the state folder {_state.Path} is in use by another gitorch process (pid {Environment.ProcessId}); stop that process, or give this one its own folder with --state",
            ex.Message);
    }

    [Fact]
    public void Acquire_Succeeds_AfterTheHolderReleasedTheLock()
    {
        StateLock.Acquire(_state.Path).Dispose();

        using var again = StateLock.Acquire(_state.Path);

        Assert.Throws<StateException>(() => StateLock.Acquire(_state.Path));
    }

    [Fact]
    public void Acquire_CreatesTheStateFolder()
    {
        var nested = Path.Combine(_state.Path, "a", "b");

        using var held = StateLock.Acquire(nested);

        Assert.True(File.Exists(Path.Combine(nested, StateLock.FileName)));
    }
}
