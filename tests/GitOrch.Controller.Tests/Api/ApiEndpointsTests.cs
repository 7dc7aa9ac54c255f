using System.Net;
using System.Text.Json;

namespace GitOrch.Controller.Tests.Api;

/// <summary>The HTTP API on real Kestrel, read by a real HttpClient.</summary>
public sealed class ApiEndpointsTests(ApiFixture api) : IClassFixture<ApiFixture>
{
    private async Task<(HttpStatusCode Status, JsonElement Json)> GetAsync(string path)
    {
        using var response = await api.Client.GetAsync(new Uri(path, UriKind.Relative));
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return (response.StatusCode, document.RootElement.Clone());
    }

    private static string Text(JsonElement json, string property) => json.GetProperty(property).GetString()!;

    [Fact]
    public async Task Status_ShowsTheControllerTheCommitsWithDiagnostics_AndObjectCounts()
    {
        var (status, json) = await GetAsync("/api/v1/status");

        Assert.Equal(HttpStatusCode.OK, status);
        var controller = json.GetProperty("controller");
        Assert.Equal(api.RepoRoot, Text(controller, "repo"));
        Assert.Equal("main", Text(controller, "branch"));
        Assert.Equal(api.Second, Text(controller, "lastApplied"));
        Assert.Equal(api.Rejected, Text(controller, "head"));
        Assert.Equal(JsonValueKind.Null, controller.GetProperty("lastError").ValueKind);

        var commits = json.GetProperty("commits").EnumerateArray().ToList();
        Assert.Equal(
            [(api.Rejected, "rejected", "carol@example.com"), (api.Second, "applied", "bob@example.com"), (api.First, "applied", "alice@example.com")],
            commits.Select(c => (Text(c, "sha"), Text(c, "state"), Text(c, "email"))));
        var diagnostic = Assert.Single(commits[0].GetProperty("diagnostics").EnumerateArray());
        Assert.Equal(
            ("apps/bad.yaml", 7, 3, "error", "GO1004", "Pod/demo/bad"),
            (Text(diagnostic, "file"), diagnostic.GetProperty("line").GetInt32(), diagnostic.GetProperty("column").GetInt32(),
             Text(diagnostic, "severity"), Text(diagnostic, "code"), Text(diagnostic, "object")));
        Assert.Equal(2, json.GetProperty("objects").GetProperty("Pod").GetInt32());
        var node = Assert.Single(json.GetProperty("nodes").EnumerateArray());
        Assert.Equal(("node-a", 4000), (Text(node, "name"), node.GetProperty("cpuMillis").GetInt64()));
    }

    [Fact]
    public async Task ImageRoots_AreTheImagesOfThePodsOnTheNode_AndNoneForANodeWithoutPods()
    {
        var (status, json) = await GetAsync("/api/v1/nodes/node-a/image-roots");
        var (_, other) = await GetAsync("/api/v1/nodes/node-b/image-roots");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(["busybox:1.35"], json.GetProperty("roots").EnumerateArray().Select(r => r.GetString()));
        Assert.Empty(other.GetProperty("roots").EnumerateArray());
    }

    [Fact]
    public async Task Objects_FilteredByKindAndNamespace()
    {
        var (status, json) = await GetAsync("/api/v1/objects?kind=pod&namespace=demo");

        Assert.Equal(HttpStatusCode.OK, status);
        var worker = Assert.Single(json.EnumerateArray());
        Assert.Equal(("Pod", "demo", "worker", 4), (Text(worker, "kind"), Text(worker, "namespace"), Text(worker, "name"), worker.GetProperty("version").GetInt32()));
        Assert.Equal("git/bob@example.com", Text(worker, "lastChanger"));
        Assert.Equal("node-a", Text(worker, "node"));
        Assert.Equal("apps/worker.yaml", Text(worker, "file"));

        var (_, all) = await GetAsync("/api/v1/objects?kind=pods");
        Assert.Equal([("demo", "worker"), ("web", "api")], all.EnumerateArray().Select(o => (Text(o, "namespace"), Text(o, "name"))));
    }

    [Fact]
    public async Task Object_ReturnsItsSummaryAndCurrentJson()
    {
        var (status, json) = await GetAsync("/api/v1/objects/Pod/worker?namespace=demo");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(4, json.GetProperty("summary").GetProperty("version").GetInt32());
        var obj = json.GetProperty("object");
        Assert.Equal("bonjour", obj.GetProperty("spec").GetProperty("containers")[0].GetProperty("env").GetProperty("GREETING").GetString());
        Assert.Equal("node-a", obj.GetProperty("status").GetProperty("nodeName").GetString());
    }

    [Fact]
    public async Task History_ListsEveryVersion_AndFiltersByChangerOrExcludedChanger()
    {
        var (status, all) = await GetAsync("/api/v1/objects/Pod/worker/history?namespace=demo");
        var (_, scheduler) = await GetAsync("/api/v1/objects/Pod/worker/history?namespace=demo&changer=control-loop/scheduler");
        var (_, people) = await GetAsync("/api/v1/objects/Pod/worker/history?namespace=demo&excludeChanger=control-loop/scheduler");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(
            [(1, "git/alice@example.com", "external"), (2, "control-loop/scheduler", "mechanical"), (3, "control-loop/ipam", "mechanical"), (4, "git/bob@example.com", "external")],
            all.EnumerateArray().Select(v => (v.GetProperty("version").GetInt32(), Text(v, "changer"), Text(v, "kind"))));
        Assert.Equal([2], scheduler.EnumerateArray().Select(v => v.GetProperty("version").GetInt32()));
        Assert.Equal([1, 3, 4], people.EnumerateArray().Select(v => v.GetProperty("version").GetInt32()));
        Assert.Equal(["status.nodeName"], scheduler[0].GetProperty("fields").EnumerateArray().Select(f => f.GetString()));
        Assert.Equal(JsonValueKind.Null, all[0].GetProperty("object").ValueKind);
    }

    [Fact]
    public async Task Version_ReturnsThatVersionWithItsObject()
    {
        var (status, json) = await GetAsync("/api/v1/objects/Pod/worker/versions/1?namespace=demo");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal((1, "git/alice@example.com", "external", api.First), (json.GetProperty("version").GetInt32(), Text(json, "changer"), Text(json, "kind"), Text(json, "sourceCommit")));
        var obj = json.GetProperty("object");
        Assert.Equal("hello", obj.GetProperty("spec").GetProperty("containers")[0].GetProperty("env").GetProperty("GREETING").GetString());
        Assert.False(obj.TryGetProperty("status", out _));
    }

    [Fact]
    public async Task Diff_IsAUnifiedDiffOfTheTwoRenderedVersions()
    {
        var (status, json) = await GetAsync("/api/v1/objects/Pod/worker/diff?namespace=demo&from=1&to=4");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(("Pod/demo/worker", 1, 4), (Text(json, "object"), json.GetProperty("from").GetInt32(), json.GetProperty("to").GetInt32()));
        var lines = Text(json, "diff").Split('\n');
        Assert.Equal("--- Pod/demo/worker@1", lines[0]);
        Assert.Equal("+++ Pod/demo/worker@4", lines[1]);
        Assert.Single(lines, l => l.StartsWith('-') && !l.StartsWith("---", StringComparison.Ordinal) && l[1..].Trim() == "GREETING: hello");
        Assert.Single(lines, l => l.StartsWith('+') && !l.StartsWith("+++", StringComparison.Ordinal) && l[1..].Trim() == "GREETING: bonjour");
        Assert.Single(lines, l => l.StartsWith('+') && l[1..].Trim() == "nodeName: node-a");
    }

    [Fact]
    public async Task Blame_NamesTheChangerThatLastSetAField()
    {
        var (status, node) = await GetAsync("/api/v1/objects/Pod/worker/blame?namespace=demo&field=status.nodeName");
        var (_, greeting) = await GetAsync("/api/v1/objects/Pod/worker/blame?namespace=demo&field=spec.containers[0].env.GREETING");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal((2, "control-loop/scheduler", "mechanical", "node-a"), (node.GetProperty("version").GetInt32(), Text(node, "changer"), Text(node, "kind"), Text(node, "value")));
        Assert.Equal(api.First, Text(node, "sourceCommit"));
        Assert.Equal((4, "git/bob@example.com", "bonjour"), (greeting.GetProperty("version").GetInt32(), Text(greeting, "changer"), Text(greeting, "value")));
    }

    [Fact]
    public async Task UnknownObject_Is404WithAnErrorThatSaysHowToList()
    {
        var (status, json) = await GetAsync("/api/v1/objects/Pod/nope?namespace=demo");

        Assert.Equal(HttpStatusCode.NotFound, status);
        Assert.Equal("Pod demo/nope not found; list objects with `gitorch get pod -A`", Text(json, "error"));
    }

    [Fact]
    public async Task UnknownVersion_Is404WithAnErrorNamingTheVersionRange()
    {
        var (status, json) = await GetAsync("/api/v1/objects/Pod/worker/versions/9?namespace=demo");

        Assert.Equal(HttpStatusCode.NotFound, status);
        Assert.Equal(
            "Pod demo/worker has no version 9 (versions run to 4; older ones may have been pruned by history.keepVersions); see `gitorch history pod/worker -n demo`",
            Text(json, "error"));
    }

    [Fact]
    public async Task UnknownKind_Is400ListingTheKinds()
    {
        var (status, json) = await GetAsync("/api/v1/objects?kind=widget");
        var (objectStatus, _) = await GetAsync("/api/v1/objects/widget/worker");

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("unknown kind \"widget\"; use one of: Pod, PinnedDeployment, ControlLoop, Target, ClusterPolicy", Text(json, "error"));
        Assert.Equal(HttpStatusCode.BadRequest, objectStatus);
    }

    [Fact]
    public async Task BlameOfAMissingField_Is404()
    {
        var (status, json) = await GetAsync("/api/v1/objects/Pod/worker/blame?namespace=demo&field=spec.nope");

        Assert.Equal(HttpStatusCode.NotFound, status);
        Assert.StartsWith("Pod demo/worker has no field spec.nope in its current version 4", Text(json, "error"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task DeletedObject_IsNotServedAsALiveObject_ButItsHistoryStaysReadable()
    {
        var (status, json) = await GetAsync("/api/v1/objects/Pod/gone?namespace=demo");
        var (historyStatus, history) = await GetAsync("/api/v1/objects/Pod/gone/history?namespace=demo");

        Assert.Equal(HttpStatusCode.OK, historyStatus);
        Assert.Equal(
            [(1, false), (2, false), (3, false), (4, true)],
            history.EnumerateArray().Select(v => (v.GetProperty("version").GetInt32(), v.GetProperty("deleted").GetBoolean())));
        Assert.True(status == HttpStatusCode.NotFound, $"GET of a deleted pod answered {(int)status}: {json}");
        Assert.Contains("deleted", Text(json, "error"), StringComparison.Ordinal);
    }
}
