using System.Text.Json.Nodes;
using GitOrch.Core.Diagnostics;
using GitOrch.Core.Editing;
using GitOrch.Core.Loading;

namespace GitOrch.Core.Tests.Editing;

public class ManifestEditorTests
{
    private static readonly ObjectRef Web0 = new("Pod", "demo", "web-0");
    private static readonly ObjectRef Api0 = new("Pod", "demo", "api-0");

    private const string SingleDocument = """
        # The web pod: edited by hand and by rollback.
        apiVersion: gitorch.dev/v1
        kind: Pod
        metadata:
          name: web-0   # stable name
          namespace: demo
        spec:
          terminationGracePeriodSeconds: 30 # seconds
          containers:
            - name: 'web'
              image: "nginx:1.25"  # pinned
              env:
                - name: VERSION
                  value: "1.10"   # must stay a string
                - {name: MODE, value: fast}
        # trailing comment

        """;

    private const string ThreeDocuments = """
        # Namespace first.
        apiVersion: gitorch.dev/v1
        kind: Namespace
        metadata:
          name: demo
        ---
        # The web pod.
        apiVersion: gitorch.dev/v1
        kind: Pod
        metadata:
          name: web-0
          namespace: demo
        spec:
          containers:
            - name: web   # main
              image: nginx:1.25

        # The api pod follows.
        ---
        apiVersion: gitorch.dev/v1
        kind: Pod
        metadata:
          name: api-0
          namespace: demo
        spec:
          containers:
            - name: api
              image: api:1.0

        """;

    private static (SourceDocument Document, JsonObject Json) Find(string text, ObjectRef obj)
    {
        var document = ManifestEditor.FindDocument("apps/web.yaml", text, obj);
        Assert.NotNull(document);
        return (document, (JsonObject)SourceJson.ToJson(document.Root)!);
    }

    /// <summary>Rewrites <paramref name="obj"/> with <paramref name="edit"/> applied, and checks that the result reads back as the target.</summary>
    private static ManifestEditor.Edit Rewrite(string text, ObjectRef obj, Action<JsonObject> edit)
    {
        var (document, json) = Find(text, obj);
        var target = (JsonObject)json.DeepClone();
        edit(target);

        var result = ManifestEditor.Rewrite(text, document, target);

        var reread = ManifestEditor.FindDocument("apps/web.yaml", result.Text, obj);
        Assert.True(reread is not null, $"the object is gone from the rewritten text:\n{result.Text}");
        Assert.True(JsonNode.DeepEquals(target, SourceJson.ToJson(reread.Root)), $"the rewritten text does not say the target:\n{result.Text}\nit says:\n{SourceJson.ToJson(reread.Root)}");
        return result;
    }

    [Fact]
    public void AValueSetToNull_IsStillAValueChange_AndKeepsTheComments()
    {
        var result = Rewrite(SingleDocument, Web0, o => o["spec"]!["terminationGracePeriodSeconds"] = null);

        Assert.True(result.CommentsKept);
        Assert.Contains("  terminationGracePeriodSeconds: null # seconds\n", result.Text, StringComparison.Ordinal);
    }

    [Fact]
    public void ValueOnlyChange_ReplacesJustTheValues_AndKeepsEveryCommentAndByte()
    {
        var result = Rewrite(SingleDocument, Web0, o =>
        {
            o["spec"]!["terminationGracePeriodSeconds"] = 45;
            o["spec"]!["containers"]![0]!["image"] = "nginx:1.26";
            o["spec"]!["containers"]![0]!["env"]![0]!["value"] = "1.11";
            o["spec"]!["containers"]![0]!["env"]![1]!["value"] = "slow";
        });

        Assert.True(result.CommentsKept);
        Assert.Equal(
            """
            # The web pod: edited by hand and by rollback.
            apiVersion: gitorch.dev/v1
            kind: Pod
            metadata:
              name: web-0   # stable name
              namespace: demo
            spec:
              terminationGracePeriodSeconds: 45 # seconds
              containers:
                - name: 'web'
                  image: "nginx:1.26"  # pinned
                  env:
                    - name: VERSION
                      value: "1.11"   # must stay a string
                    - {name: MODE, value: slow}
            # trailing comment

            """,
            result.Text);
    }

    [Theory]
    [InlineData("command: [\"/bin/sh\", \"-c\", \"echo hi\"]", "command: [\"/bin/sh\", \"-c\", \"echo bye, world\"]")]
    [InlineData("command: ['/bin/sh', '-c', 'echo hi']", "command: ['/bin/sh', '-c', 'echo bye, world']")]
    [InlineData("command: [/bin/sh, -c, echo hi]", "command: [/bin/sh, -c, \"echo bye, world\"]")]
    [InlineData("command:\n        - \"/bin/sh\"\n        - \"-c\"\n        - 'echo hi'", "command:\n        - \"/bin/sh\"\n        - \"-c\"\n        - 'echo bye, world'")]
    public void AValueChange_KeepsTheFilesOwnQuoting_InFlowAndBlockSequences(string before, string after)
    {
        var text = $$"""
            apiVersion: gitorch.dev/v1
            kind: Pod
            metadata: {name: web-0, namespace: demo}
            spec:
              containers:
                - name: web
                  image: nginx:1.25
                  {{before}}

            """;

        var result = Rewrite(text, Web0, o => o["spec"]!["containers"]![0]!["command"]![2] = "echo bye, world");

        Assert.True(result.CommentsKept);
        Assert.Equal(text.Replace(before, after, StringComparison.Ordinal), result.Text);
    }

    [Fact]
    public void NoChange_LeavesTheTextIdentical()
    {
        var (document, json) = Find(SingleDocument, Web0);

        var result = ManifestEditor.Rewrite(SingleDocument, document, json);

        Assert.Equal(SingleDocument, result.Text);
        Assert.True(result.CommentsKept);
    }

    [Fact]
    public void ValueChange_ToAStringThatNeedsQuotes_IsQuoted()
    {
        var result = Rewrite(SingleDocument, Web0, o => o["spec"]!["containers"]![0]!["image"] = "1.16");

        Assert.Contains("      image: \"1.16\"  # pinned\n", result.Text, StringComparison.Ordinal);
    }

    [Fact]
    public void ValueChange_InAFlowMapping_StaysReadable()
    {
        var result = Rewrite(SingleDocument, Web0, o => o["spec"]!["containers"]![0]!["env"]![1]!["value"] = "fast, safe");

        Assert.True(result.CommentsKept);
    }

    private const string BlockScalar = """
        apiVersion: gitorch.dev/v1
        kind: Pod
        metadata:
          name: web-0
          namespace: demo
        spec:
          script: |
            echo one
            echo two
          after: kept

        """;

    [Theory]
    [InlineData("echo three\n")]
    [InlineData("echo three\necho four\n")]
    [InlineData("echo three")]
    public void ValueChange_OfABlockScalar_StaysReadable(string script)
    {
        var result = Rewrite(BlockScalar, Web0, o => o["spec"]!["script"] = script);

        Assert.EndsWith("\n  after: kept\n", result.Text, StringComparison.Ordinal);
    }

    [Fact]
    public void StructuralChange_RendersOnlyThatDocument_OfAMultiDocumentFile()
    {
        var result = Rewrite(ThreeDocuments, Web0, o => o["metadata"]!["labels"] = new JsonObject { ["app"] = "web" });

        Assert.False(result.CommentsKept);
        Assert.Equal(
            """
            # Namespace first.
            apiVersion: gitorch.dev/v1
            kind: Namespace
            metadata:
              name: demo
            ---
            # The web pod.
            apiVersion: gitorch.dev/v1
            kind: Pod
            metadata:
              name: web-0
              namespace: demo
              labels:
                app: web
            spec:
              containers:
                - name: web
                  image: nginx:1.25

            # The api pod follows.
            ---
            apiVersion: gitorch.dev/v1
            kind: Pod
            metadata:
              name: api-0
              namespace: demo
            spec:
              containers:
                - name: api
                  image: api:1.0

            """,
            result.Text);
    }

    [Fact]
    public void StructuralChange_OfTheLastDocument_KeepsTheDocumentsBefore()
    {
        var result = Rewrite(ThreeDocuments, Api0, o => ((JsonArray)o["spec"]!["containers"]!).Add(new JsonObject { ["name"] = "sidecar", ["image"] = "envoy:1" }));

        Assert.False(result.CommentsKept);
        var cut = ThreeDocuments.LastIndexOf("---\n", StringComparison.Ordinal) + 4;
        Assert.Equal(ThreeDocuments[..cut], result.Text[..cut]);
        Assert.Equal(
            """
            apiVersion: gitorch.dev/v1
            kind: Pod
            metadata:
              name: api-0
              namespace: demo
            spec:
              containers:
                - name: api
                  image: api:1.0
                - name: sidecar
                  image: envoy:1

            """,
            result.Text[cut..]);
    }

    [Fact]
    public void FindDocument_FindsByKindNamespaceAndName()
    {
        Assert.Equal(1, ManifestEditor.FindDocument("f.yaml", ThreeDocuments, Web0)!.Index);
        Assert.Equal(8, ManifestEditor.FindDocument("f.yaml", ThreeDocuments, Web0)!.Root.Line);
        Assert.Equal(2, ManifestEditor.FindDocument("f.yaml", ThreeDocuments, Api0)!.Index);
        Assert.Equal(0, ManifestEditor.FindDocument("f.yaml", ThreeDocuments, new ObjectRef("Namespace", string.Empty, "demo"))!.Index);
        Assert.Equal("f.yaml", ManifestEditor.FindDocument("f.yaml", ThreeDocuments, Api0)!.File);
    }

    [Theory]
    [InlineData("Pod", "other", "web-0")]
    [InlineData("Pod", "demo", "web-1")]
    [InlineData("PinnedDeployment", "demo", "web-0")]
    [InlineData("Pod", "default", "web-0")]
    public void FindDocument_ReturnsNull_WhenNoDocumentDefinesTheObject(string kind, string ns, string name) =>
        Assert.Null(ManifestEditor.FindDocument("f.yaml", ThreeDocuments, new ObjectRef(kind, ns, name)));

    [Fact]
    public void FindDocument_UsesTheDefaultNamespace_WhenTheDocumentNamesNone()
    {
        const string Text = "apiVersion: gitorch.dev/v1\nkind: Pod\nmetadata:\n  name: web-0\n";

        Assert.NotNull(ManifestEditor.FindDocument("f.yaml", Text, new ObjectRef("Pod", "default", "web-0")));
        Assert.Null(ManifestEditor.FindDocument("f.yaml", Text, Web0));
    }

    [Fact]
    public void FindDocument_SkipsDocumentsThatAreNotMappings()
    {
        const string Text = "- a list\n---\njust a string\n---\napiVersion: gitorch.dev/v1\nkind: Pod\nmetadata:\n  name: web-0\n  namespace: demo\n";

        Assert.Equal(2, ManifestEditor.FindDocument("f.yaml", Text, Web0)!.Index);
    }
}
