using System.Text;
using GitOrch.Core.Diagnostics;
using GitOrch.Core.Loading;
using GitOrch.Core.Tests.Support;
using GitOrch.Core.Validation;

namespace GitOrch.Core.Tests.Loading;

public sealed class BoundedInputTests : IDisposable
{
    /// <summary>The classic "billion laughs" in YAML: under 700 bytes that expand to 9^9 strings.</summary>
    public static readonly string Bomb = """
        a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
        b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
        c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
        d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
        e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
        f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
        g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
        h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
        i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
        apiVersion: gitorch.dev/v1
        kind: Pod
        metadata: {name: lol, namespace: demo}
        spec:
          containers: [{name: main, image: busybox:1.35, command: *i}]
        """;

    private readonly string _dir = Directory.CreateTempSubdirectory("gitorch-bounded-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Rejects_TheAliasBomb_AtTheAliasThatCrossesTheLimit()
    {
        Assert.True(Encoding.UTF8.GetByteCount(Bomb) < 700);
        var result = TestManifests.Validate(("bomb.yaml", Bomb));
        var d = result.Single(DiagnosticCodes.AliasExpansion);
        Assert.Equal("bomb.yaml", d.File);
        Assert.Equal(5, d.Line); // e: the first level past 10,000 nodes (9^5 strings)
        Assert.Contains("more than 10000 nodes", d.Message, StringComparison.Ordinal);
        Assert.Contains("first alias is *a at line 2", d.Message, StringComparison.Ordinal);
        Assert.Empty(result.Objects);
    }

    [Fact]
    public void Accepts_ModestAliases_AndRecordsTheExpandedSize()
    {
        var docs = YamlReader.Read("m.yaml", "a: &a [x, y]\nb: [*a, *a]\n", new List<Diagnostic>());
        var doc = Assert.Single(docs);
        Assert.Equal("""{"a":["x","y"],"b":[["x","y"],["x","y"]]}""".Length, doc.JsonBytes);
    }

    [Fact]
    public void Rejects_AnAliasInsideItsOwnAnchor_InsteadOfLoopingForever()
    {
        var diagnostics = new List<Diagnostic>();
        YamlReader.Read("m.yaml", "a: &a [1, *a]\n", diagnostics);
        var d = Assert.Single(diagnostics);
        Assert.Equal((DiagnosticCodes.AliasExpansion, 1, 11), (d.Code, d.Line, d.Column));
    }

    [Fact]
    public void Rejects_AScalarRepeatedByAliases_PastTheObjectCeiling()
    {
        // 10 KB of text aliased 1,000 times: few nodes, but 10 MB of JSON.
        var yaml = $"s: &s \"{new string('x', 10_000)}\"\nl: [{string.Join(',', Enumerable.Repeat("*s", 1000))}]\n";
        var diagnostics = new List<Diagnostic>();
        Assert.Empty(YamlReader.Read("m.yaml", yaml, diagnostics));
        Assert.Equal(DiagnosticCodes.ObjectTooLarge, Assert.Single(diagnostics).Code);
    }

    [Fact]
    public void Rejects_AnObjectOverMaxObjectBytes_NamingIt()
    {
        var env = string.Join('\n', Enumerable.Range(0, 20_000).Select(i => $"          V{i}: value-{i}"));
        var pod = $"""
            apiVersion: gitorch.dev/v1
            kind: Pod
            metadata: {"{"}name: big, namespace: demo{"}"}
            spec:
              containers:
                - name: main
                  image: busybox:1.35
                  env:
            {env}
            """;
        Assert.True(pod.Length < InputLimits.DefaultMaxFileBytes);
        var d = TestManifests.Validate(("big.yaml", pod)).Single(DiagnosticCodes.ObjectTooLarge);
        Assert.Equal(("big.yaml", 1, 1), (d.File, d.Line, d.Column));
        Assert.Equal("Pod/demo/big", d.Object!.Key);
        Assert.Contains("over the limit of 262144 bytes", d.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void APolicy_MayRaiseTheObjectLimit()
    {
        var env = string.Join('\n', Enumerable.Range(0, 20_000).Select(i => $"          V{i}: value-{i}"));
        var pod = $"apiVersion: gitorch.dev/v1\nkind: Pod\nmetadata: {{name: big, namespace: demo}}\nspec:\n  containers:\n    - name: main\n      image: busybox:1.35\n      env:\n{env.Replace("          ", "        ", StringComparison.Ordinal)}\n";
        var policy = "apiVersion: gitorch.dev/v1\nkind: ClusterPolicy\nmetadata: {name: cluster}\nspec:\n  limits: {maxObjectBytes: 1048576}\n";
        TestManifests.Validate(("big.yaml", pod), ("policy.yaml", policy)).NoErrors();
    }

    [Fact]
    public void Rejects_AFileOverMaxFileBytes_BeforeReadingIt()
    {
        var path = Path.Combine(_dir, "huge.yaml");
        using (var f = File.Create(path))
        {
            f.SetLength(InputLimits.DefaultMaxFileBytes + 1); // sparse: its size is all that is ever looked at
        }

        File.WriteAllText(Path.Combine(_dir, "ok.yaml"), "apiVersion: gitorch.dev/v1\nkind: Target\nmetadata: {name: a.target}\nspec: {}\n");
        var diagnostics = new List<Diagnostic>();
        var result = ManifestValidator.Validate(ManifestDirectory.Load(_dir, diagnostics), diagnostics);
        var d = result.Diagnostics.Single(x => x.Code == DiagnosticCodes.FileTooLarge);
        Assert.Equal(("huge.yaml", 1, 1), (d.File, d.Line, d.Column));
        Assert.Contains($"{InputLimits.DefaultMaxFileBytes + 1} bytes, over the limit of {InputLimits.DefaultMaxFileBytes}", d.Message, StringComparison.Ordinal);
        Assert.Single(result.Objects);
    }

    [Fact]
    public void APolicy_MayRaiseTheFileLimit_ForTheOtherFiles()
    {
        var filler = new string('#', (int)InputLimits.DefaultMaxFileBytes) + "\n";
        File.WriteAllText(Path.Combine(_dir, "big.yaml"), filler + "apiVersion: gitorch.dev/v1\nkind: Target\nmetadata: {name: a.target}\nspec: {}\n");
        File.WriteAllText(Path.Combine(_dir, "policy.yaml"), "apiVersion: gitorch.dev/v1\nkind: ClusterPolicy\nmetadata: {name: cluster}\nspec:\n  limits: {maxFileBytes: 2097152}\n");
        var diagnostics = new List<Diagnostic>();
        var result = ManifestValidator.Validate(ManifestDirectory.Load(_dir, diagnostics), diagnostics);
        result.NoErrors();
        Assert.Equal(2, result.Objects.Count);
    }

    [Fact]
    public void Rejects_ASymlinkToAFileOutsideTheRepo_WithoutReadingOrPrintingIt()
    {
        var outside = Directory.CreateTempSubdirectory("gitorch-secret-").FullName;
        try
        {
            const string secret = "token: s3cr3t-value-never-shown";
            File.WriteAllText(Path.Combine(outside, "creds"), secret + "\nnot: [valid yaml\n");
            var repo = Path.Combine(_dir, "repo");
            Directory.CreateDirectory(repo);
            File.CreateSymbolicLink(Path.Combine(repo, "creds.yaml"), Path.Combine(outside, "creds"));
            Directory.CreateSymbolicLink(Path.Combine(repo, "linked"), outside);
            File.WriteAllText(Path.Combine(outside, "pod.yaml"), secret);

            var diagnostics = new List<Diagnostic>();
            var result = ManifestValidator.Validate(ManifestDirectory.Load(repo, diagnostics), diagnostics);
            var d = result.Diagnostics.Single();
            Assert.Equal((DiagnosticCodes.NotRegularFile, "creds.yaml", 1, 1), (d.Code, d.File, d.Line, d.Column));
            Assert.Contains("creds.yaml is a symbolic link", d.Message, StringComparison.Ordinal);
            var all = string.Join('\n', result.Diagnostics.Select(x => x.ToString()));
            Assert.DoesNotContain("s3cr3t", all, StringComparison.Ordinal);
            Assert.DoesNotContain(outside, all, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(outside, recursive: true);
        }
    }
}
