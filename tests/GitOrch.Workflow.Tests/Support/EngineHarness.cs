using GitOrch.Core.Diagnostics;
using GitOrch.Workflow.Execution;
using GitOrch.Workflow.Model;
using GitOrch.Workflow.Store;

namespace GitOrch.Workflow.Tests.Support;

/// <summary>A workflow engine on a real SQLite store in a temp folder, with a scripted runner and fast retries.</summary>
internal sealed class EngineHarness : IAsyncDisposable
{
    public static readonly ObjectRef Pod = new("Pod", "demo", "web");

    private readonly TempFolder _folder = new();
    private bool _stopped;

    public EngineHarness(ScriptedRunner runner, EngineOptions? options = null, TimeProvider? time = null)
    {
        Time = time ?? TimeProvider.System;
        Options = options ?? new EngineOptions { RetryBase = TimeSpan.FromMilliseconds(10), MaxRetryDelay = TimeSpan.FromMilliseconds(50), FlushInterval = TimeSpan.FromMilliseconds(10) };
        Store = new WorkflowStore(DatabasePath);
        Runner = runner;
        Engine = new WorkflowEngine(Store, runner, Time, Options);
    }

    /// <summary>The engine's clock: real time with fast retries unless a test gives a fake one.</summary>
    public TimeProvider Time { get; }

    public string DatabasePath => _folder.File("state.db");

    public EngineOptions Options { get; }

    public WorkflowStore Store { get; private set; }

    public ScriptedRunner Runner { get; private set; }

    public WorkflowEngine Engine { get; private set; }

    public Transaction Start(params Unit[] units) => Engine.Start(Pod, "0123456789abcdef0123", units);

    /// <summary>Waits until no transaction is active.</summary>
    public Task IdleAsync() => Wait.ForAsync(Engine.WhenIdleAsync(CancellationToken.None), "the engine to become idle", Wait.Idle);

    /// <summary>Stops the engine and closes the store, as a controller stop would.</summary>
    public async Task StopAsync()
    {
        if (_stopped)
        {
            return;
        }

        _stopped = true;
        try
        {
            await Engine.DisposeAsync();
        }
        finally
        {
            Store.Dispose();
        }
    }

    /// <summary>Opens the store and an engine again (after <see cref="StopAsync"/>) with a new runner.</summary>
    public void Reopen(ScriptedRunner runner)
    {
        Assert.True(_stopped, "stop the engine before reopening it");
        Store = new WorkflowStore(DatabasePath);
        Runner = runner;
        Engine = new WorkflowEngine(Store, runner, Time, Options);
        _stopped = false;
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _folder.Dispose();
    }
}
