using System.Text.Json.Nodes;
using GitOrch.Core.Admission;
using GitOrch.Core.Diagnostics;
using GitOrch.Core.Loading;
using GitOrch.Core.Manifests;
using GitOrch.Core.Schema;
using GitOrch.Core.Validation;
using GitOrch.History.Store;
using GitOrch.History.Tests.Support;
using static GitOrch.History.Tests.Support.Objects;

namespace GitOrch.History.Tests.Store;

/// <summary>The admission gate in front of a real SQLite store: each writer kind, admitted and refused.</summary>
public sealed class ObjectWriterTests : IDisposable
{
    private static readonly string C1 = new('1', 40);
    private static readonly ObjectRef Generated = new("Pod", "demo", "web-3");

    private readonly TempFolder _state = new();
    private readonly HistoryStore _store;
    private readonly ObjectWriter _writer;

    public ObjectWriterTests()
    {
        _store = HistoryStore.Open(_state.Path);
        _writer = new ObjectWriter(_store, new BuiltInPolicy());
        Assert.False(_writer.ApplyCommit(Applied(C1), External(C1, "ada@example.com", "Add web", Change(Web0, Pod(Web0, "nginx:1.25"), "*")), Valid(Web0), []).IsRefused);
    }

    public void Dispose()
    {
        _store.Dispose();
        _state.Dispose();
    }

    /// <summary>The policy of a repo with no ControlLoop and no ClusterPolicy: the built-in loops, no exceptions.</summary>
    private sealed class BuiltInPolicy : IAdmissionPolicySource
    {
        public AdmissionPolicy Policy => AdmissionPolicy.Default;
    }

    /// <summary>A real validation of the objects a commit declares.</summary>
    private static ValidationResult Valid(params ObjectRef[] objects) =>
        ManifestValidator.Validate(objects.Select(o => new ManifestFile($"apps/{o.Name}.yaml", Pod(o, "nginx:1.25"))).ToList());

    private static IReadOnlyList<string> Set(JsonObject pod, string path, JsonNode? value)
    {
        var parts = path.Split('.');
        var at = pod;
        foreach (var part in parts[..^1])
        {
            at = (JsonObject)(at[part] ??= new JsonObject());
        }

        at[parts[^1]] = value;
        return [path];
    }

    /// <summary>(built-in loop, a field it does not own, a value): the loops and the node's reports (runtime).</summary>
    public static TheoryData<string, string, string> BuiltInsOutsideTheirFields => new()
    {
        { "ipam", "status.phase", "\"Running\"" },
        { "scheduler", "status.podIP", "\"fd00::1\"" },
        { "runtime", "status.nodeName", "\"node-b\"" },
        { "runtime", "spec.security.privileged", "true" },
        { "image-pull", "spec.containers", "[{\"name\": \"web\", \"image\": \"evil:1\"}]" },
    };

    [Theory]
    [MemberData(nameof(BuiltInsOutsideTheirFields))]
    public void Update_RefusesABuiltInLoopOrNodeReport_ThatSetsAFieldItDoesNotOwn_AndWritesNothing(string loop, string field, string value)
    {
        var outcome = _writer.Update(Web0, loop, C1, $"{loop}: test", current => Set(current, field, JsonNode.Parse(value)));

        Assert.True(outcome.IsRefused);
        Assert.Equal(0, outcome.Batch);
        var diagnostic = Assert.Single(outcome.Refused, d => d.Code == DiagnosticCodes.WritesUnownedField);
        Assert.Equal("objects/Pod/demo/web-0.yaml", diagnostic.File);
        Assert.Contains($"control-loop/{loop} tried to set {field}", diagnostic.Message, StringComparison.Ordinal);
        Assert.Equal(1, _store.Get(Web0)!.Version);
        Assert.Single(_store.History(Web0));
    }

    [Fact]
    public void Update_AdmitsTheOwnerOfTheField()
    {
        var outcome = _writer.Update(Web0, "scheduler", C1, "scheduler: place", current => Set(current, "status.nodeName", "node-a"));

        Assert.False(outcome.IsRefused);
        Assert.Equal(2, _store.Get(Web0)!.Version);
        Assert.Equal("node-a", (string?)ManifestJson.Parse(_store.Get(Web0)!.ObjectJson).SelectPath("status.nodeName"));
    }

    [Fact]
    public void Update_ThatWritesTheSameTimestampsAgain_AddsNoVersion_AndKeepsThemAsText()
    {
        const string Containers = "[{\"name\":\"main\",\"state\":\"crashloop\",\"finishedAt\":\"2026-11-30T16:12:45.589+00:00\"}]";

        _writer.Update(Web0, "runtime", C1, "runtime: crash", current => Set(current, "status.containers", GitOrch.Core.Manifests.ManifestJson.ParseToken(Containers)));
        _writer.Update(Web0, "runtime", C1, "runtime: crash", current => Set(current, "status.containers", GitOrch.Core.Manifests.ManifestJson.ParseToken(Containers)));

        Assert.Equal(2, _store.Get(Web0)!.Version);
        Assert.Contains("\"finishedAt\":\"2026-11-30T16:12:45.589+00:00\"", _store.Get(Web0)!.ObjectJson, StringComparison.Ordinal);
    }

    [Fact]
    public void Update_RefusesAWriteThatBreaksTheSchema_EvenByTheOwner()
    {
        var outcome = _writer.Update(Web0, "runtime", C1, "runtime: test", current => Set(current, "spec.containers", "not a list"));

        Assert.True(outcome.IsRefused); // runtime does not own spec, and the value breaks the schema too.
        Assert.Contains(outcome.Refused, d => d.Code == DiagnosticCodes.WritesUnownedField);
        Assert.Contains(outcome.Refused, d => d.Code == DiagnosticCodes.WrongType);
        Assert.Equal(1, _store.Get(Web0)!.Version);
    }

    [Fact]
    public void Write_RefusesThePinnedDeploymentLoopDeletingAPodFromGit()
    {
        var outcome = _writer.Write(Mechanical("pinned-deployment", C1, "pinned-deployment: remove", new ObjectChange(Web0, null, ["*"], null)));

        Assert.Contains("which it did not generate", Assert.Single(outcome.Refused).Message, StringComparison.Ordinal);
        Assert.False(_store.Get(Web0)!.Deleted);
    }

    [Fact]
    public void Write_AdmitsThePinnedDeploymentLoopCreatingAndDeletingItsOwnPod_ButNotAnotherLoop()
    {
        var pod = ManifestJson.Parse(Pod(Generated, "nginx:1.25"));
        pod["metadata"]!["labels"] = new JsonObject { [Core.Rollouts.PinnedPods.DeploymentLabel] = "web" };
        var create = new ObjectChange(Generated, pod.ToString(), ["metadata", "spec"], null);

        Assert.True(_writer.Write(Mechanical("scheduler", C1, "scheduler: create", create)).IsRefused);
        Assert.False(_writer.Write(Mechanical("pinned-deployment", C1, "pinned-deployment: create", create)).IsRefused);
        Assert.False(_writer.Write(Mechanical("pinned-deployment", C1, "pinned-deployment: remove", new ObjectChange(Generated, null, ["*"], null))).IsRefused);
        Assert.True(_store.Get(Generated)!.Deleted);
    }

    [Fact]
    public void Write_IsAllOrNothing_WhenOneChangeOfTheBatchIsRefused()
    {
        var pod = ManifestJson.Parse(Pod(Generated, "nginx:1.25"));
        pod["metadata"]!["labels"] = new JsonObject { [Core.Rollouts.PinnedPods.DeploymentLabel] = "web" };

        var outcome = _writer.Write(Mechanical("pinned-deployment", C1, "pinned-deployment: two",
            new ObjectChange(Generated, pod.ToString(), ["metadata", "spec"], null), new ObjectChange(Web0, null, ["*"], null)));

        Assert.True(outcome.IsRefused);
        Assert.Null(_store.Get(Generated));
        Assert.False(_store.Get(Web0)!.Deleted);
    }

    [Fact]
    public void ApplyCommit_RefusesABatchThatIsNotTheCommits()
    {
        var c2 = new string('2', 40);
        var asLoop = _writer.ApplyCommit(Applied(c2), Mechanical("scheduler", c2, "not a commit", Change(Web0, Pod(Web0, "evil:1"), "spec")), Valid(Web0), []);
        var foreign = _writer.ApplyCommit(Applied(c2), External(c2, "ada@example.com", "other object", Change(Web1, Pod(Web1, "evil:1"), "*")), Valid(Web0), []);
        var invalid = _writer.ApplyCommit(Applied(c2), External(c2, "ada@example.com", "invalid", Change(Web0, Pod(Web0, "evil:1"), "spec")),
            ManifestValidator.Validate([new ManifestFile("apps/bad.yaml", "apiVersion: gitorch.dev/v1\nkind: Pod\nmetadata: {name: bad}\nspec: {}\n")]), []);

        Assert.Contains("only git/<email> applies commits", Assert.Single(asLoop.Refused).Message, StringComparison.Ordinal);
        Assert.Contains("is not an object of commit", Assert.Single(foreign.Refused).Message, StringComparison.Ordinal);
        Assert.Contains(invalid.Refused, d => d.Code == DiagnosticCodes.MissingField);

        // The same name in another namespace is another object: the commit does not declare it.
        var elsewhere = new ObjectRef("Pod", "kube-system", Web0.Name);
        var sameName = _writer.ApplyCommit(Applied(c2), External(c2, "ada@example.com", "same name elsewhere", Change(elsewhere, Pod(elsewhere, "evil:1"), "*")), Valid(Web0), []);
        Assert.Contains("is not an object of commit", Assert.Single(sameName.Refused).Message, StringComparison.Ordinal);
        Assert.Null(_store.Get(elsewhere));
        Assert.Null(_store.FindCommit(c2));
        Assert.Null(_store.Get(Web1));
        Assert.Equal(1, _store.Get(Web0)!.Version);
    }
}
