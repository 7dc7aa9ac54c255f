using System.Text.Json.Nodes;
using GitOrch.Controller.Loops;
using GitOrch.Controller.Tests.Support;
using GitOrch.Core.AgentApi;
using GitOrch.Core.Diagnostics;
using GitOrch.Core.Manifests;
using GitOrch.Core.Schema;
using static GitOrch.Controller.Tests.Support.Controllers;

namespace GitOrch.Controller.Tests.Agents;

/// <summary>A node's report is a write like any other: it passes the admission gate or changes nothing.</summary>
public sealed class StatusIngestionTests : IDisposable
{
    private readonly GitRepo _repo = GitRepo.Init();
    private readonly TempDir _state = new("gitorch-ingestion-state");

    public void Dispose()
    {
        _repo.Dispose();
        _state.Dispose();
    }

    private async Task<(ControllerService Controller, ObjectRef Pod, string Generation)> PlacedPodAsync()
    {
        _repo.Write("apps/web.yaml", Manifests.Pod("web"));
        _repo.Commit("A pod");
        var controller = await OpenAsync(_repo.Root, _state.Path, Node("node-a"));
        await controller.SyncAsync();
        var pod = PodRef("web");
        var json = ManifestJson.Parse(controller.Store.Get(pod)!.ObjectJson);
        Assert.Equal("node-a", (string?)json.SelectPath("status.nodeName"));
        return (controller, pod, Runtime.Assignment(pod.Key, json).Generation);
    }

    [Fact]
    public async Task AReport_IsWrittenByTheRuntimeLoop()
    {
        var (controller, pod, generation) = await PlacedPodAsync();
        await using var _ = controller;

        var outcome = controller.Ingestion.Write("node-a", new PodReport(pod.Key, generation, "Running", 0, null, [new ContainerReport("main", "running", 42, 0, null, null)]));

        Assert.False(outcome.IsRefused);
        Assert.Equal("Running", (string?)ManifestJson.Parse(controller.Store.Get(pod)!.ObjectJson).SelectPath("status.phase"));
        Assert.Equal("control-loop/runtime", controller.Store.Get(pod)!.LastChanger);
    }

    [Fact]
    public async Task AHugeReport_IsRefusedByTheLimits_AndChangesNothing()
    {
        var (controller, pod, generation) = await PlacedPodAsync();
        await using var _ = controller;
        var before = controller.Store.Get(pod)!;
        var flood = Enumerable.Range(0, 5000).Select(i => new ContainerReport($"container-{i:D6}-{new string('x', 60)}", "running", i, 0, null, null)).ToList();

        var outcome = controller.Ingestion.Write("node-a", new PodReport(pod.Key, generation, "Running", 0, null, flood));

        Assert.Equal(DiagnosticCodes.AdmittedObjectTooLarge, Assert.Single(outcome.Refused).Code);
        Assert.Equal(before.Version, controller.Store.Get(pod)!.Version);
        Assert.Null(ManifestJson.Parse(controller.Store.Get(pod)!.ObjectJson).SelectPath("status.containers"));
    }

    [Fact]
    public async Task AReportFromAnotherNode_ChangesNothing()
    {
        var (controller, pod, generation) = await PlacedPodAsync();
        await using var _ = controller;
        var before = controller.Store.Get(pod)!;

        var outcome = controller.Ingestion.Write("node-b", new PodReport(pod.Key, generation, "Running", 0, null, []));

        Assert.False(outcome.IsRefused);
        Assert.Equal(0, outcome.Batch);
        Assert.Equal(before.Version, controller.Store.Get(pod)!.Version);
    }
}
