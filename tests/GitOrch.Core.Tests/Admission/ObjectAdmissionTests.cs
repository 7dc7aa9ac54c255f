using System.Text.Json.Nodes;
using GitOrch.Core.Admission;
using GitOrch.Core.Diagnostics;
using GitOrch.Core.Loading;
using GitOrch.Core.Manifests;
using GitOrch.Core.Validation;

namespace GitOrch.Core.Tests.Admission;

public class ObjectAdmissionTests
{
    private static readonly ObjectRef Web = new("Pod", "demo", "web");

    private const string Repo = """
        apiVersion: gitorch.dev/v1
        kind: ClusterPolicy
        metadata: {name: cluster}
        spec:
          security:
            exceptions:
              - namespaces: [trusted]
                allow: [runAsRoot]
        ---
        apiVersion: gitorch.dev/v1
        kind: ControlLoop
        metadata: {name: hardener}
        spec:
          objectKinds: [Pod]
          owns: ["Pod:spec.security"]
          step: {after: [scheduled.target], before: [running.target]}
          exec: {command: [/bin/true]}
        ---
        apiVersion: gitorch.dev/v1
        kind: ControlLoop
        metadata: {name: volumes}
        spec:
          objectKinds: [Pod]
          owns: ["Pod:status.volumes"]
          step: {after: [scheduled.target], before: [storage.target]}
          exec: {command: [/bin/true]}
        """;

    private static AdmissionPolicy Policy()
    {
        var result = ManifestValidator.Validate([new ManifestFile("cluster.yaml", Repo)]);
        Assert.True(result.IsValid, string.Join("\n", result.Diagnostics.Where(d => d.IsError)));
        return AdmissionPolicy.From(result);
    }

    private static JsonObject Pod(string ns = "demo") => ManifestJson.Parse($$$"""
        {"apiVersion": "gitorch.dev/v1", "kind": "Pod", "metadata": {"name": "web", "namespace": "{{{ns}}}"},
         "spec": {"containers": [{"name": "main", "image": "busybox:1.36", "command": ["sleep", "3600"]}]},
         "status": {"nodeName": "n1"}}
        """);

    private static JsonObject With(JsonObject obj, string path, JsonNode? value)
    {
        var copy = (JsonObject)obj.DeepClone();
        var parts = path.Split('.');
        var at = copy;
        foreach (var part in parts[..^1])
        {
            at = (JsonObject)(at[part] ??= new JsonObject());
        }

        at[parts[^1]] = value;
        return copy;
    }

    /// <summary>(what the loop sets, the value, the code the gate answers).</summary>
    public static TheoryData<string, string, string> LoopWeakenings => new()
    {
        { "spec.security.runAsUser", "0", DiagnosticCodes.WeakeningWithoutException },
        { "spec.security.hostPID", "true", DiagnosticCodes.WeakeningWithoutException },
        { "spec.security.capabilities", "[\"SYS_ADMIN\"]", DiagnosticCodes.WeakeningWithoutException },
        { "spec.security.seccomp", "\"Unconfined\"", DiagnosticCodes.WeakeningWithoutException },
        { "spec.security.runAsUser", "\"root\"", DiagnosticCodes.WrongType },
    };

    [Theory]
    [MemberData(nameof(LoopWeakenings))]
    public void Refuses_OwningLoopThatWeakensSecurityWithoutException(string field, string value, string code)
    {
        var before = Pod();
        var after = With(before, field, JsonNode.Parse(value));

        var refused = ObjectAdmission.Check(new ObjectWrite(Web, "control-loop/hardener", before, after, false), Policy());

        var diagnostic = Assert.Single(refused);
        Assert.Equal(code, diagnostic.Code);
        Assert.Equal("objects/Pod/demo/web.yaml", diagnostic.File);
        Assert.True(diagnostic.Line > 1, $"the diagnostic points into the object: {diagnostic}");
        Assert.Equal(Web, diagnostic.Object);
    }

    [Fact]
    public void Admits_OwningLoopWeakeningWhereThePolicyHasTheException()
    {
        var before = Pod("trusted");
        var after = With(before, "spec.security.runAsUser", 0);

        Assert.Empty(ObjectAdmission.Check(new ObjectWrite(new ObjectRef("Pod", "trusted", "web"), "control-loop/hardener", before, after, false), Policy()));
    }

    /// <summary>(writer, the field it sets, the value).</summary>
    public static TheoryData<string, string, string> NotOwned => new()
    {
        { "control-loop/volumes", "spec.security.runAsUser", "0" },
        { "control-loop/volumes", "status.nodeName", "\"n2\"" },
        { "control-loop/runtime", "status.nodeName", "\"n2\"" },
        { "control-loop/scheduler", "status.phase", "\"Running\"" },
        { "control-loop/ipam", "spec.containers", "[{\"name\": \"main\", \"image\": \"evil:1\"}]" },
        { "control-loop/pinned-deployment", "spec.security.privileged", "true" },
        { "control-loop/unknown", "status.volumes", "[]" },
    };

    [Theory]
    [MemberData(nameof(NotOwned))]
    public void Refuses_WriterThatSetsAFieldItDoesNotOwn(string changer, string field, string value)
    {
        var before = Pod();
        var after = With(before, field, JsonNode.Parse(value));

        var refused = ObjectAdmission.Check(new ObjectWrite(Web, changer, before, after, false), Policy());

        Assert.Contains(refused, d => d.Code == DiagnosticCodes.WritesUnownedField && d.File == "objects/Pod/demo/web.yaml");
    }

    [Fact]
    public void Refuses_LoopThatDeletesAnObjectItDidNotGenerate()
    {
        var refused = ObjectAdmission.Check(new ObjectWrite(Web, "control-loop/pinned-deployment", Pod(), null, false), Policy());

        Assert.Contains("which it did not generate", Assert.Single(refused).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Admits_GeneratingLoopReplacingItsOwnPod()
    {
        var before = Pod();
        var after = With(before, "spec.containers", JsonNode.Parse("""[{"name": "main", "image": "busybox:1.37"}]"""));

        Assert.Empty(ObjectAdmission.Check(new ObjectWrite(Web, "control-loop/pinned-deployment", before, after, true), Policy()));
    }

    [Fact]
    public void Refuses_GeneratedPodThatWeakensSecurity()
    {
        var after = With(Pod(), "spec.security.hostPID", true);

        var refused = ObjectAdmission.Check(new ObjectWrite(Web, "control-loop/pinned-deployment", null, after, true), Policy());

        Assert.Equal(DiagnosticCodes.WeakeningWithoutException, Assert.Single(refused).Code);
    }

    [Fact]
    public void Admits_OwnerWritingItsField()
    {
        var before = Pod();
        var after = With(before, "status.volumes", JsonNode.Parse("""[{"name": "data", "ready": true}]"""));

        Assert.Empty(ObjectAdmission.Check(new ObjectWrite(Web, "control-loop/volumes", before, after, false), Policy()));
    }

    [Fact]
    public void Refuses_GitWritingStatusOrALoopOwnedField()
    {
        var before = Pod();
        var status = ObjectAdmission.Check(new ObjectWrite(Web, "git/dev@example.com", before, With(before, "status.nodeName", "n9"), false), Policy());
        var owned = ObjectAdmission.Check(new ObjectWrite(Web, "git/dev@example.com", before, With(before, "spec.security.runAsUser", 1000), false), Policy());

        Assert.Contains(status, d => d.Code == DiagnosticCodes.WritesUnownedField);
        Assert.Contains(owned, d => d.Code == DiagnosticCodes.WritesUnownedField && d.Message.Contains("hardener", StringComparison.Ordinal));
    }

    [Fact]
    public void Refuses_ObjectOverTheSizeLimit()
    {
        var before = Pod();
        var after = With(before, "status.volumes", new JsonArray(Enumerable.Range(0, 20_000).Select(i => (JsonNode?)$"volume-{i:D8}").ToArray()));

        var refused = ObjectAdmission.Check(new ObjectWrite(Web, "control-loop/volumes", before, after, false), Policy());

        Assert.Equal(DiagnosticCodes.AdmittedObjectTooLarge, Assert.Single(refused).Code);
    }

    [Fact]
    public void Refuses_WriteThatRenamesTheObject()
    {
        var before = Pod();
        var after = With(before, "metadata.name", "other");

        var refused = ObjectAdmission.Check(new ObjectWrite(Web, "control-loop/pinned-deployment", before, after, true), Policy());

        Assert.Equal(DiagnosticCodes.Inconsistent, Assert.Single(refused).Code);
    }

    [Fact]
    public void Admits_LoopThatAddsStatusHoldingOnlyItsField()
    {
        var before = Pod();
        before.Remove("status");
        var after = (JsonObject)before.DeepClone();
        after["status"] = new JsonObject { ["nodeName"] = "n1" };

        Assert.Empty(ObjectAdmission.Check(new ObjectWrite(Web, "control-loop/scheduler", before, after, false), Policy()));
    }

    [Fact]
    public void Refuses_LoopThatAddsStatusHoldingAnotherOwnersField()
    {
        var before = Pod();
        before.Remove("status");
        var after = (JsonObject)before.DeepClone();
        after["status"] = new JsonObject { ["nodeName"] = "n1", ["phase"] = "Running" };

        var refused = ObjectAdmission.Check(new ObjectWrite(Web, "control-loop/scheduler", before, after, false), Policy());

        Assert.Contains("status.phase", Assert.Single(refused).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Admits_NothingChanged()
    {
        Assert.Empty(ObjectAdmission.Check(new ObjectWrite(Web, "control-loop/unknown", Pod(), Pod(), false), Policy()));
    }

    [Theory]
    [InlineData("status.volumes[0].ready", new[] { "status", "volumes", "[*]", "ready" })]
    [InlineData("spec.containers[2].image", new[] { "spec", "containers", "[*]", "image" })]
    [InlineData("metadata", new[] { "metadata" })]
    public void Segments_TurnListIndexesIntoAnyItem(string field, string[] expected) =>
        Assert.Equal(expected, ObjectAdmission.Segments(field));
}
