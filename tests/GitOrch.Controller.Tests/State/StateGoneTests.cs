using System.Net;
using GitOrch.Contracts.Agent;
using GitOrch.Contracts.Trust;
using GitOrch.Controller.Tests.Support;
using Grpc.Core;
using Grpc.Net.Client;
using GitOrch.History.Store;
using Microsoft.Extensions.Logging;
using static GitOrch.Controller.Tests.Support.Controllers;

namespace GitOrch.Controller.Tests.State;

/// <summary>
/// A state folder removed under a running controller: whichever service meets the symptom first
/// (the sync cycle, the mirror, a workflow start, node health, an API request), the controller
/// stops with the guard's one message, and no service logs the symptom's stack trace as its own
/// failure.
/// </summary>
public sealed class StateGoneTests : IDisposable
{
    private readonly GitRepo _repo = GitRepo.Init();
    private readonly TempDir _root = new("gitorch-state-gone");
    private readonly ListLogger _log = new();

    public void Dispose()
    {
        _repo.Dispose();
        _root.Dispose();
        _log.Dispose();
    }

    private string State => Path.Combine(_root.Path, "state");

    /// <summary>Commits one pod for the controller to apply; returns the commit.</summary>
    private string CommitWorker()
    {
        _repo.Write("apps/worker.yaml", Manifests.Pod("worker"));
        return _repo.Commit("Add worker");
    }

    private async Task<ControllerService> OpenAsync(string state)
    {
        var logs = LoggerFactory.Create(b => b.AddProvider(_log));
        return await ControllerService.OpenAsync(Options(_repo.Root, state, Node("node-a")), logs, TimeProvider.System, CancellationToken.None);
    }

    private void AssertStoppedOnce(ControllerService controller, string state)
    {
        var stopped = Assert.IsType<StateException>(controller.Guard.Stopped.Exception?.InnerException);
        Assert.Contains($"the state folder {Path.GetFullPath(state)} was removed", stopped.Message, StringComparison.Ordinal);
        Assert.Contains("the controller stops rather than write into a deleted database", stopped.Message, StringComparison.Ordinal);
        Assert.Single(_log.Lines, l => l.StartsWith("Critical", StringComparison.Ordinal));
        Assert.Empty(_log.WithExceptions);
    }

    [Fact]
    public async Task TheMirrorMeetingTheDeletedDatabase_StopsTheController_WithTheGuardsMessage_AndNoStackTrace()
    {
        CommitWorker();
        var state = State;
        await using var controller = await OpenAsync(state);
        Assert.True(await controller.Sync.CycleAsync(CancellationToken.None), controller.Status.LastError);
        await controller.Starter.DrainAsync(CancellationToken.None);

        // The cycle's versions wait for the mirror, whose reads now fail: a deleted database gives
        // SQLite's "disk I/O error" at some reads, at a moment no test can choose; a store closed by
        // the stopping process fails every read, so it stands in for the symptom here.
        Directory.Delete(state, recursive: true);
        controller.Store.Dispose();
        await controller.MirrorService.RunOnceAsync(CancellationToken.None);

        AssertStoppedOnce(controller, state);
        Assert.Equal(controller.Guard.StopReason, controller.Status.MirrorError);
    }

    [Fact]
    public async Task AWorkflowStartMeetingTheDeletedDatabase_StopsTheController_InsteadOfRetryingWithAStackTrace()
    {
        var commit = CommitWorker();
        var state = State;
        await using var controller = await OpenAsync(state);
        await controller.SyncAsync();

        Directory.Delete(state, recursive: true);
        controller.Store.Dispose(); // Reads fail now, as some reads of a deleted database do.
        await controller.Starter.EnqueueAsync(new GitOrch.Controller.Workflows.WorkflowStart(GitOrch.Controller.Workflows.WorkflowStartKind.StartMissing, [], commit), CancellationToken.None);
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await controller.Starter.DrainAsync(limit.Token); // Would retry with backoff, logging each failure, if the guard were not asked.

        AssertStoppedOnce(controller, state);
        Assert.Equal(controller.Guard.StopReason, controller.Starter.LastError);
    }

    [Fact]
    public async Task EveryServiceMeetingTheDeletedDatabase_AddsNoSecondMessage()
    {
        CommitWorker();
        var state = State;
        await using var controller = await OpenAsync(state);
        await controller.SyncAsync();

        Directory.Delete(state, recursive: true);
        _repo.Write("apps/other.yaml", Manifests.Pod("other"));
        _repo.Commit("Add other");
        Assert.False(await controller.Sync.CycleAsync(CancellationToken.None));
        await controller.MirrorService.RunOnceAsync(CancellationToken.None);
        Assert.True(controller.Guard.StopIfGone()); // Asked again: stopped already, nothing more said.

        AssertStoppedOnce(controller, state);
        Assert.Equal(controller.Guard.StopReason, controller.Status.LastError);
    }

    [Fact]
    public async Task ARequestMeetingTheDeletedDatabase_Gets503WithTheGuardsMessage_AndANodeCallUnavailable_AndTheControllerStops()
    {
        CommitWorker();
        var state = State;
        var options = Options(_repo.Root, state, Node("node-a")) with { AgentListen = "https://127.0.0.1:0" };
        await using var host = await ControllerHost.StartAsync(options, b => b.AddProvider(_log), TimeProvider.System, CancellationToken.None);
        using var api = host.AdminCredentials.CreateHttpClient();
        Assert.Equal(HttpStatusCode.OK, (await api.GetAsync("/api/v1/objects")).StatusCode);

        Directory.Delete(state, recursive: true);
        host.Controller.Store.Dispose(); // Every read fails now, as some reads of a deleted database do.

        var answer = await api.GetAsync("/api/v1/objects");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, answer.StatusCode);
        Assert.Contains("was removed while the controller was running", await answer.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        var stopped = await Assert.ThrowsAsync<StateException>(() => host.Completion.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal(host.Controller.Guard.StopReason, stopped.Message);

        using var certificate = host.Pki.IssueNodeCertificate("node-a");
        using var channel = GrpcChannel.ForAddress(host.AgentAddress!, new GrpcChannelOptions { HttpHandler = CaTrust.Handler(host.Pki.Ca, certificate), DisposeHttpClient = true });
        var node = new NodeService.NodeServiceClient(channel);
        var refused = await Assert.ThrowsAsync<RpcException>(async () => await node.HeartbeatAsync(new NodeHeartbeat { Node = "node-a" }, deadline: DateTime.UtcNow.AddSeconds(30)));
        Assert.Equal(StatusCode.Unavailable, refused.StatusCode);
        Assert.Equal(host.Controller.Guard.StopReason, refused.Status.Detail);

        Assert.Single(_log.Lines, l => l.StartsWith("Critical", StringComparison.Ordinal));
        Assert.Empty(_log.WithExceptions);
    }
}
