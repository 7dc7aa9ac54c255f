using GitOrch.Controller.State;
using GitOrch.Controller.Tests.Support;
using GitOrch.History.Store;
using Microsoft.Extensions.Logging;

namespace GitOrch.Controller.Tests.State;

/// <summary>A service of the controller that ends on an error nobody handled stops the controller, and says so once, with the stack trace.</summary>
public sealed class StateGuardTests : IDisposable
{
    private readonly TempDir _state = new("gitorch-guard");
    private readonly ListLogger _log = new();

    public void Dispose()
    {
        _state.Dispose();
        _log.Dispose();
    }

    [Fact]
    public async Task AServiceThatEndsOnAnUnhandledError_StopsTheController_NamingIt_WithTheStackTraceLoggedOnce()
    {
        using var held = StateLock.Acquire(_state.Path);
        using var logs = LoggerFactory.Create(b => b.AddProvider(_log));
        var guard = new StateGuard(_state.Path, held, logs.CreateLogger<StateGuard>());

        guard.Crashed("history mirror", new InvalidOperationException("boom"));
        guard.Crashed("sync loop", new InvalidOperationException("and then this"));

        var stopped = await Assert.ThrowsAsync<StateException>(() => guard.Stopped);
        Assert.Contains("the controller's history mirror stopped on an unexpected error (boom)", stopped.Message, StringComparison.Ordinal);
        Assert.Contains("the controller stops rather than run without it", stopped.Message, StringComparison.Ordinal);
        var logged = Assert.Single(_log.WithExceptions);
        Assert.Contains("history mirror", logged, StringComparison.Ordinal);
        Assert.DoesNotContain(_log.Lines, l => l.Contains("sync loop", StringComparison.Ordinal));
    }
}
