using System.Text.Json.Nodes;
using GitOrch.Core.Diagnostics;
using GitOrch.Core.Loading;
using GitOrch.Core.Manifests;
using GitOrch.Core.Rendering;

namespace GitOrch.Core.Tests.Rendering;

public class YamlRendererTests
{
    private static JsonNode? ReadBack(string yaml)
    {
        var diagnostics = new List<Diagnostic>();
        var documents = YamlReader.Read("rendered.yaml", yaml, diagnostics);
        Assert.True(diagnostics.Count == 0, $"the rendered YAML does not read back:\n{yaml}\n{string.Join('\n', diagnostics)}");
        return SourceJson.ToJson(Assert.Single(documents).Root);
    }

    private static void AssertRoundTrips(JsonNode input)
    {
        var yaml = YamlRenderer.Render(input);
        var back = ReadBack(yaml);
        Assert.True(JsonNode.DeepEquals(input, back), $"rendered:\n{yaml}\nread back:\n{back}\nexpected:\n{input}");
    }

    [Theory]
    [InlineData("1.16", "\"1.16\"")]
    [InlineData("true", "\"true\"")]
    [InlineData("True", "\"True\"")]
    [InlineData("yes", "\"yes\"")]
    [InlineData("no", "\"no\"")]
    [InlineData("on", "\"on\"")]
    [InlineData("Off", "\"Off\"")]
    [InlineData("y", "\"y\"")]
    [InlineData("", "\"\"")]
    [InlineData("null", "\"null\"")]
    [InlineData("~", "\"~\"")]
    [InlineData("8080", "\"8080\"")]
    [InlineData("0x1F", "\"0x1F\"")]
    [InlineData("1e3", "\"1e3\"")]
    [InlineData(".inf", "\".inf\"")]
    [InlineData("a: b", "\"a: b\"")]
    [InlineData("- x", "\"- x\"")]
    [InlineData("-", "\"-\"")]
    [InlineData("#not a comment", "\"#not a comment\"")]
    [InlineData("value #not a comment", "\"value #not a comment\"")]
    [InlineData("ends with colon:", "\"ends with colon:\"")]
    [InlineData(" leading space", "\" leading space\"")]
    [InlineData("trailing space ", "\"trailing space \"")]
    [InlineData("@at", "\"@at\"")]
    [InlineData("*star", "\"*star\"")]
    [InlineData("'single'", "\"'single'\"")]
    [InlineData("say \"hi\"", "say \"hi\"")]
    [InlineData("\"quoted\"", "\"\\\"quoted\\\"\"")]
    [InlineData("line1\nline2", "\"line1\\nline2\"")]
    [InlineData("C:\\dir", "C:\\dir")]
    [InlineData("nginx:1.25", "nginx:1.25")]
    [InlineData("--port", "--port")]
    [InlineData("-x", "-x")]
    [InlineData("web-0", "web-0")]
    [InlineData("a#b", "a#b")]
    [InlineData("ünï cödé", "ünï cödé")]
    [InlineData("hello world", "hello world")]
    public void Scalar_QuotesStrings_OnlyWhenTheyWouldReadBackAsSomethingElse(string value, string expected) =>
        Assert.Equal(expected, YamlRenderer.Scalar(JsonValue.Create(value)));

    [Fact]
    public void Scalar_WritesNumbersBooleansAndNullBare()
    {
        Assert.Equal("3", YamlRenderer.Scalar(JsonValue.Create(3)));
        Assert.Equal("-42", YamlRenderer.Scalar(JsonValue.Create(-42L)));
        Assert.Equal("0.5", YamlRenderer.Scalar(JsonValue.Create(0.5)));
        Assert.Equal("2.0", YamlRenderer.Scalar(JsonValue.Create(2.0)));
        Assert.Equal("1E+20", YamlRenderer.Scalar(JsonValue.Create(1e20)));
        Assert.Equal("true", YamlRenderer.Scalar(JsonValue.Create(true)));
        Assert.Equal("false", YamlRenderer.Scalar(JsonValue.Create(false)));
        Assert.Equal("null", YamlRenderer.Scalar((JsonNode?)null));
        Assert.Equal("{}", YamlRenderer.Scalar(new JsonObject()));
        Assert.Equal("[]", YamlRenderer.Scalar(new JsonArray()));
    }

    [Fact]
    public void Render_WritesNestedListsOfMappings_InBlockStyle()
    {
        var pod = ManifestJson.Parse("""
            {"apiVersion": "gitorch.dev/v1", "kind": "Pod",
             "metadata": {"name": "web-0", "labels": {"app": "web", "on": "yes"}},
             "spec": {
               "containers": [
                 {"name": "web", "image": "nginx:1.25",
                  "ports": [{"name": "http", "containerPort": 8080}],
                  "args": ["--port", "8080"], "env": []},
                 {"name": "sidecar", "image": "envoy", "resources": {"cpu": "500m"}}],
               "matrix": [[1, 2], []],
               "empty": {}}}
            """);

        Assert.Equal(
            """
            apiVersion: gitorch.dev/v1
            kind: Pod
            metadata:
              name: web-0
              labels:
                app: web
                "on": "yes"
            spec:
              containers:
                - name: web
                  image: nginx:1.25
                  ports:
                    - name: http
                      containerPort: 8080
                  args:
                    - --port
                    - "8080"
                  env: []
                - name: sidecar
                  image: envoy
                  resources:
                    cpu: 500m
              matrix:
                -
                  - 1
                  - 2
                - []
              empty: {}

            """,
            YamlRenderer.Render(pod));
    }

    [Fact]
    public void Render_IsDeterministic_AndKeepsKeyOrder()
    {
        var obj = ManifestJson.Parse("""{"b": 1, "a": {"z": [1], "c": "x"}}""");

        Assert.Equal("b: 1\na:\n  z:\n    - 1\n  c: x\n", YamlRenderer.Render(obj));
        Assert.Equal(YamlRenderer.Render(obj), YamlRenderer.Render(obj.DeepClone()));
    }

    public static TheoryData<string> RealisticObjects => new()
    {
        """
        {"apiVersion": "gitorch.dev/v1", "kind": "Pod",
         "metadata": {"name": "web-0", "namespace": "demo", "labels": {"app": "web", "version": "1.16"}, "annotations": {"note": "a: b # c"}},
         "spec": {"runtime": "oci", "availability": "ha",
           "containers": [{"name": "web", "image": "registry.local/web@sha256:0123abcd", "command": ["/bin/web", "-listen", ":8080"],
             "env": [{"name": "GREETING", "value": "yes"}, {"name": "EMPTY", "value": ""}, {"name": "VERSION", "value": "1.10"}, {"name": "MULTI", "value": "line1\nline2"}],
             "resources": {"cpu": "500m", "memory": "256Mi"}, "ports": [{"name": "http", "containerPort": 8080}]}],
           "nodeSelector": {"zone": "eu-1"}, "terminationGracePeriodSeconds": 30},
         "status": {"phase": "Running", "nodeName": "node-a", "restarts": 0, "ready": true, "ip": "fd00::1", "startedAt": null}}
        """,
        """
        {"apiVersion": "gitorch.dev/v1", "kind": "PinnedDeployment",
         "metadata": {"name": "api", "namespace": "demo"},
         "spec": {"replicas": 4, "percent": 25.5,
           "previous": {"containers": [{"name": "api", "image": "api:1.0", "args": ["--mode", "-", "- dash", "#hash"]}]},
           "next": {"containers": [{"name": "api", "image": "api:1.1", "args": []}]}}}
        """,
        """
        {"apiVersion": "gitorch.dev/v1", "kind": "ClusterPolicy",
         "metadata": {"name": "cluster"},
         "spec": {"history": {"keepVersions": 50},
           "exceptions": [{"namespace": "system", "allow": ["hostNetwork", "sysctl:net.core.somaxconn"], "sysctls": {"net.core.somaxconn": "1024"}}],
           "weird keys": {"on": "off", "": "empty key", "a: b": "colon key", "123": "number key", "-": "dash"},
           "nested": [[["deep"]], [{"x": [{"y": {}}]}]]}}
        """,
    };

    [Theory]
    [MemberData(nameof(RealisticObjects))]
    public void Render_ReadsBackAsTheSameJson(string json) => AssertRoundTrips(ManifestJson.Parse(json));

    /// <summary>A value that would drive a terminal or reorder a line is written as escapes, so `get` and `diff` show it as text.</summary>
    [Theory]
    [InlineData("x\u001b[8m", "\"x\\x1b[8m\"")]
    [InlineData("a\u007fb\u009bc", "\"a\\x7fb\\x9bc\"")]
    [InlineData("admin\u202etxt", "\"admin\\u202etxt\"")]
    public void Scalar_WritesHiddenCharactersAsEscapes(string value, string expected) =>
        Assert.Equal(expected, YamlRenderer.Render(new JsonObject { ["v"] = value }).TrimEnd()[3..]);

    [Theory]
    [InlineData("a\tb")]
    [InlineData("crlf\r\nline")]
    [InlineData("bell\u0007char")]
    [InlineData("no-break\u00a0space")]
    [InlineData("---")]
    [InlineData("...")]
    [InlineData("? question")]
    [InlineData("?x")]
    [InlineData(":x")]
    [InlineData("%directive")]
    [InlineData("!tag")]
    [InlineData("&anchor")]
    [InlineData("|")]
    [InlineData("> folded")]
    [InlineData("[flow]")]
    [InlineData("{flow}")]
    [InlineData("a, b")]
    [InlineData("`tick")]
    [InlineData("emoji 😀")]
    [InlineData("0o17")]
    [InlineData("+1")]
    [InlineData(".5")]
    [InlineData("<<")]
    [InlineData("esc\u001b]0;title\u0007")]
    [InlineData("del\u007f and c1\u009b")]
    [InlineData("rtl \u202eexe.txt\u202c and isolate \u2066x\u2069")]
    public void Render_ReadsBackTrickyStrings_AsTheSameString(string value)
    {
        AssertRoundTrips(new JsonObject { ["value"] = value, ["list"] = new JsonArray(value), [value] = "as a key" });
    }

    [Theory]
    [InlineData("tab\t#not a comment")]
    [InlineData("colon:\tthen tab")]
    public void Render_ReadsBackStrings_WithATabBeforeHashOrAfterColon(string value)
    {
        AssertRoundTrips(new JsonObject { ["value"] = value, ["list"] = new JsonArray(value), [value] = "as a key" });
    }

    [Theory]
    [InlineData("carriage\rreturn")]
    [InlineData("next\u0085line")]
    [InlineData("line\u2028separator")]
    [InlineData("paragraph\u2029separator")]
    [InlineData("quoted\nand\u2028separator")]
    [InlineData("quoted\nand\u0085next line")]
    public void Render_ReadsBackStrings_WithLineBreaksOtherThanLineFeed(string value)
    {
        AssertRoundTrips(new JsonObject { ["value"] = value, ["list"] = new JsonArray(value), [value] = "as a key" });
    }

    [Theory]
    [InlineData("echo hi\n")]
    [InlineData("a\n")]
    public void Render_ReadsBackStrings_EndingInANewline(string value)
    {
        Assert.StartsWith("\"", YamlRenderer.Scalar(JsonValue.Create(value)), StringComparison.Ordinal);
        AssertRoundTrips(new JsonObject { ["value"] = value, ["list"] = new JsonArray(value) });
    }
}
