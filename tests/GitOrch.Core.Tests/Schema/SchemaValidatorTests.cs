using GitOrch.Core.Diagnostics;
using GitOrch.Core.Tests.Support;

namespace GitOrch.Core.Tests.Schema;

public class SchemaValidatorTests
{
    /// <summary>A valid pod; each case replaces one line to break it. Line numbers are stable.</summary>
    internal const string Base = """
        apiVersion: gitorch.dev/v1
        kind: Pod
        metadata:
          name: web
          namespace: demo
          labels: {app: web}
        spec:
          runtime: oci
          terminationGracePeriodSeconds: 10
          containers:
            - name: main
              image: busybox:1.35
              resources: {cpu: 250m, memory: 64Mi}
              ports: [{name: http, port: 8080}]
        """;

    private static string Replace(string line, string with) => Base.Replace(line, with, StringComparison.Ordinal);

    [Theory]
    // unknown fields, with the closest known name suggested
    [InlineData("      image: busybox:1.35", "      image: busybox:1.35\n      imagePullPolicy: Always", DiagnosticCodes.UnknownField, 13, 7, "unknown field \"imagePullPolicy\" in spec.containers[0]")]
    [InlineData("  runtime: oci", "  runtim: oci", DiagnosticCodes.UnknownField, 8, 3, "did you mean \"runtime\"?")]
    // a missing required field: reported at its parent
    [InlineData("    - name: main", "    - nam: main", DiagnosticCodes.MissingField, 11, 7, "is missing the required field \"name\"")]
    // wrong types
    [InlineData("  terminationGracePeriodSeconds: 10", "  terminationGracePeriodSeconds: ten", DiagnosticCodes.WrongType, 9, 3, "must be an integer, not the string \"ten\"")]
    [InlineData("  labels: {app: web}", "  labels: {app: 1.16}", DiagnosticCodes.WrongType, 6, 12, "(quote it: \"1.16\")")]
    [InlineData("      resources: {cpu: 250m, memory: 64Mi}", "      resources: {cpu: true, memory: 64Mi}", DiagnosticCodes.WrongType, 13, 19, "must be a string or a number")]
    // enums
    [InlineData("  runtime: oci", "  runtime: docker", DiagnosticCodes.NotAllowedValue, 8, 3, "use one of: oci, process")]
    // ranges
    [InlineData("  terminationGracePeriodSeconds: 10", "  terminationGracePeriodSeconds: -1", DiagnosticCodes.OutOfRange, 9, 3, "must be at least 0")]
    [InlineData("      ports: [{name: http, port: 8080}]", "      ports: [{name: http, port: 70000}]", DiagnosticCodes.OutOfRange, 14, 28, "must be at most 65535")]
    // formats
    [InlineData("  name: web", "  name: Web_1", DiagnosticCodes.BadFormat, 4, 3, "not a DNS-1123 label")]
    [InlineData("      resources: {cpu: 250m, memory: 64Mi}", "      resources: {cpu: 250x, memory: 64Mi}", DiagnosticCodes.BadFormat, 13, 19, "a CPU quantity")]
    [InlineData("      resources: {cpu: 250m, memory: 64Mi}", "      resources: {cpu: -1, memory: 64Mi}", DiagnosticCodes.OutOfRange, 13, 19, "must be at least 0")]
    [InlineData("  labels: {app: web}", "  labels: {\"bad key!\": web}", DiagnosticCodes.BadFormat, 6, 12, "key \"bad key!\" in metadata.labels is not a label key")]
    public void Reports_SchemaErrors_AtTheField(string line, string with, string code, int atLine, int atColumn, string messagePart)
    {
        var result = TestManifests.Validate(Replace(line, with));
        var d = result.Single(code);
        Assert.Equal((atLine, atColumn), (d.Line, d.Column));
        Assert.Contains(messagePart, d.Message, StringComparison.Ordinal);
        Assert.StartsWith("Pod demo/", d.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Accepts_TheBase() => TestManifests.Validate(Base).NoErrors();

    /// <summary>
    /// The pass/fail evaluation (no annotations collected) and the detailed one give the same
    /// verdict on every document of the example repo, its broken files and this table's cases: a
    /// quick pass too lenient would let an invalid object through, one too strict would only cost
    /// time, and a new JsonSchema.Net could bring either.
    /// </summary>
    [Fact]
    public void TheQuickAndTheDetailedEvaluation_AgreeOnEveryDocument()
    {
        var root = Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "..", "..", "example-repo");
        var texts = Directory.EnumerateFiles(root, "*.yaml", SearchOption.AllDirectories).Select(File.ReadAllText)
            .Append(Base)
            .Concat(typeof(SchemaValidatorTests).GetMethod(nameof(Reports_SchemaErrors_AtTheField))!
                .GetCustomAttributes(typeof(InlineDataAttribute), false).Cast<InlineDataAttribute>()
                .Select(d => d.GetData(null!).Single()).Select(row => Replace((string)row[0], (string)row[1])))
            .ToList();
        var checkedDocuments = 0;
        var invalid = 0;
        foreach (var text in texts)
        {
            foreach (var document in GitOrch.Core.Loading.YamlReader.Read("f.yaml", text, new List<Diagnostic>()))
            {
                if (document.Root is not GitOrch.Core.Loading.MappingNode map
                    || map.Entries.FirstOrDefault(e => e.Key.Value == "kind").Value is not GitOrch.Core.Loading.ScalarNode { Value: { } kind }
                    || !GitOrch.Core.Schema.SchemaRegistry.EmbeddedKinds().Contains(kind.ToLowerInvariant()))
                {
                    continue;
                }

                var (quick, detailed) = GitOrch.Core.Schema.SchemaValidator.Verdicts(kind, document);
                Assert.True(quick == detailed, $"quick {quick}, detailed {detailed} for:\n{text}");
                checkedDocuments++;
                invalid += detailed ? 0 : 1;
            }
        }

        Assert.True(checkedDocuments > 20, $"only {checkedDocuments} documents checked");
        Assert.True(invalid >= 14, $"only {invalid} invalid documents among {checkedDocuments}: the comparison must see failures too");
    }

    [Fact]
    public void Reports_EveryError_NotJustTheFirst()
    {
        var yaml = Replace("  runtime: oci", "  runtime: docker\n  extra: 1")
            .Replace("  name: web", "  name: WEB", StringComparison.Ordinal);
        var codes = TestManifests.Validate(yaml).Diagnostics.Select(d => d.Code).ToList();
        Assert.Contains(DiagnosticCodes.NotAllowedValue, codes);
        Assert.Contains(DiagnosticCodes.UnknownField, codes);
        Assert.Contains(DiagnosticCodes.BadFormat, codes);
    }

    [Theory]
    [InlineData(-1, DiagnosticCodes.OutOfRange)]
    [InlineData(0, null)]
    [InlineData(100, null)]
    [InlineData(101, DiagnosticCodes.OutOfRange)]
    public void Checks_PercentNext_Range(int percent, string? code)
    {
        var yaml = $$$"""
            apiVersion: gitorch.dev/v1
            kind: PinnedDeployment
            metadata: {name: web, namespace: demo}
            spec:
              replicas: 3
              percentNext: {{{percent}}}
              previous: {spec: {containers: [{name: main, image: busybox:1.35}]}}
              next: {spec: {containers: [{name: main, image: busybox:1.36}]}}
            """;
        var result = TestManifests.Validate(yaml);
        if (code is null)
        {
            result.NoErrors();
        }
        else
        {
            var d = result.Single(code);
            Assert.Equal((6, 3), (d.Line, d.Column));
        }
    }
}
