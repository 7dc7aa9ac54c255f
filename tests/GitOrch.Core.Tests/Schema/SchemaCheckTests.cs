using System.Text.Json.Nodes;
using GitOrch.Core.Diagnostics;
using GitOrch.Core.Loading;
using GitOrch.Core.Schema;

namespace GitOrch.Core.Tests.Schema;

/// <summary>
/// The compiled fast check may pass only what JsonSchema.Net passes (it decides everything else),
/// and must pass the ordinary valid object, or it saves nothing.
/// </summary>
public class SchemaCheckTests
{
    private static readonly string ExampleRepo = Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "..", "..", "example-repo");

    private static IEnumerable<(string Kind, SourceDocument Document)> Documents(string text)
    {
        foreach (var document in YamlReader.Read("f.yaml", text, new List<Diagnostic>()))
        {
            if (document.Root is MappingNode map
                && map["kind"] is ScalarNode { Value: { } kind }
                && SchemaRegistry.EmbeddedKinds().Contains(kind.ToLowerInvariant()))
            {
                yield return (kind, document);
            }
        }
    }

    private static List<string> ValidExamples() =>
        [.. Directory.EnumerateFiles(Path.Combine(ExampleRepo, "apps"), "*.yaml").Concat(Directory.EnumerateFiles(Path.Combine(ExampleRepo, "cluster"), "*.yaml")).Order().Select(File.ReadAllText)];

    [Fact]
    public void PassesEveryValidDocumentOfTheExampleRepo_OfEveryKind()
    {
        var kinds = new HashSet<string>(StringComparer.Ordinal);
        foreach (var text in ValidExamples())
        {
            foreach (var (kind, document) in Documents(text))
            {
                Assert.True(SchemaValidator.Verdicts(kind, document).Detailed, $"the example's {kind} is valid");
                Assert.True(SchemaValidator.PassesFastCheck(kind, document), $"the fast check does not pass the example's {kind} {((MappingNode)document.Root)["metadata"]}");
                kinds.Add(kind);
            }
        }

        Assert.Superset(new HashSet<string> { "Pod", "PinnedDeployment", "ControlLoop", "ClusterPolicy", "Target" }, kinds);
    }

    /// <summary>
    /// Seeded random damage to every valid example document (a value of another type or form, a
    /// field dropped or added, a list item repeated); JsonSchema.Net's verdict on each is the truth.
    /// Replays with GITORCH_TEST_SEED.
    /// </summary>
    [Fact]
    public void NeverPasses_ADocumentJsonSchemaNetFails_UnderRandomDamage()
    {
        var seed = int.TryParse(Environment.GetEnvironmentVariable("GITORCH_TEST_SEED"), out var given) ? given : Random.Shared.Next();
        var random = new Random(seed);
        var bases = ValidExamples().SelectMany(Documents).Select(d => (d.Kind, Json: SourceJson.ToJson(d.Document.Root)!)).ToList();
        var (bothPass, bothFail, onlyLibraryPasses) = (0, 0, 0);
        for (var round = 0; round < 4000; round++)
        {
            var (kind, original) = bases[random.Next(bases.Count)];
            var json = original.DeepClone();
            for (var damage = random.Next(1, 3); damage > 0; damage--)
            {
                Damage(json, random);
            }

            var text = json.ToJsonString();
            var document = Documents(text).FirstOrDefault(d => d.Kind == kind).Document;
            if (document is null)
            {
                continue; // the damage changed the kind
            }

            var fast = SchemaValidator.PassesFastCheck(kind, document);
            var library = SchemaValidator.Verdicts(kind, document).Detailed;
            Assert.False(fast && !library, $"seed {seed} (GITORCH_TEST_SEED={seed} replays it), round {round}: the fast check passed a {kind} JsonSchema.Net fails:\n{text}");
            (bothPass, bothFail, onlyLibraryPasses) = (fast, library) switch
            {
                (true, true) => (bothPass + 1, bothFail, onlyLibraryPasses),
                (false, false) => (bothPass, bothFail + 1, onlyLibraryPasses),
                _ => (bothPass, bothFail, onlyLibraryPasses + 1),
            };
        }

        // The damage must reach both sides, and the fast check must decide most valid documents itself.
        Assert.True(bothFail > 1000, $"seed {seed}: only {bothFail} damaged documents were invalid");
        Assert.True(bothPass > 500, $"seed {seed}: only {bothPass} damaged documents passed both");
        Assert.True(onlyLibraryPasses < bothPass / 4, $"seed {seed}: the fast check declined {onlyLibraryPasses} valid documents against {bothPass} it passed");
    }

    private static readonly Func<JsonNode?>[] Replacements =
    [
        () => "x", () => string.Empty, () => "Upper_Case!", () => "über-name", () => "a\nb", () => "a\tb", () => new string('a', 300),
        () => "1", () => "10m", () => "64Mi", () => "oci", () => "process", () => "main", () => "Always",
        () => 0, () => -1, () => 1, () => 65536, () => 99999999999L, () => 1.5, () => true, () => false, () => null,
        () => new JsonObject(), () => new JsonArray(), () => new JsonArray("a", "a"), () => new JsonArray("a", "b"),
        () => new JsonObject { ["zz"] = 1 }, () => new JsonObject { ["GOOD_NAME"] = "v" }, () => new JsonObject { ["bad key"] = "v" },
    ];

    private static void Damage(JsonNode root, Random random)
    {
        var nodes = new List<JsonNode>();
        Collect(root, nodes);
        var target = nodes[random.Next(nodes.Count)];
        switch (random.Next(6))
        {
            case 0 or 1 when target.Parent is JsonObject parent:
                parent[target.GetPropertyName()] = Replacements[random.Next(Replacements.Length)]();
                break;
            case 0 or 1 when target.Parent is JsonArray list:
                list[target.GetElementIndex()] = Replacements[random.Next(Replacements.Length)]();
                break;
            case 2 when target is JsonObject obj && obj.Count > 0:
                obj.Remove(obj.ElementAt(random.Next(obj.Count)).Key);
                break;
            case 3 when target is JsonObject obj:
                obj[random.Next(3) switch { 0 => "extra", 1 => "Bad-Key", _ => "status" }] = Replacements[random.Next(Replacements.Length)]();
                break;
            case 4 when target is JsonArray list && list.Count > 0:
                list.Add(list[random.Next(list.Count)]?.DeepClone());
                break;
            case 5 when target is JsonValue value && value.GetValueKind() == System.Text.Json.JsonValueKind.String:
                var parentNode = target.Parent;
                JsonNode changed = random.Next(3) switch { 0 => value.GetValue<string>() + "!", 1 => "-" + value.GetValue<string>(), _ => value.GetValue<string>().ToUpperInvariant() };
                if (parentNode is JsonObject o)
                {
                    o[target.GetPropertyName()] = changed;
                }
                else if (parentNode is JsonArray a)
                {
                    a[target.GetElementIndex()] = changed;
                }

                break;
            default:
                break;
        }
    }

    private static void Collect(JsonNode? node, List<JsonNode> into)
    {
        if (node is null)
        {
            return;
        }

        into.Add(node);
        switch (node)
        {
            case JsonObject obj:
                foreach (var (_, value) in obj)
                {
                    Collect(value, into);
                }

                break;
            case JsonArray list:
                foreach (var item in list)
                {
                    Collect(item, into);
                }

                break;
        }
    }

    [Theory]
    // Forms the fast check leaves to JsonSchema.Net even where they are valid: floats, huge integers, strings outside printable ASCII under a pattern.
    [InlineData("      resources: {cpu: 250m, memory: 64Mi}", "      resources: {cpu: 0.5, memory: 64Mi}")]
    [InlineData("  terminationGracePeriodSeconds: 10", "  terminationGracePeriodSeconds: 99999999999999999999")]
    [InlineData("      image: busybox:1.35", "      image: \"caf\u00e9:1.35\"")]
    public void LeavesToJsonSchemaNet_WhatItCannotBeSureOf(string line, string with)
    {
        var text = Base.Replace(line, with, StringComparison.Ordinal);
        var (kind, document) = Documents(text).Single();
        Assert.False(SchemaValidator.PassesFastCheck(kind, document));
        // ...which decides: valid or not, the load's verdict is JsonSchema.Net's.
        var diagnostics = new List<Diagnostic>();
        SchemaValidator.Validate(kind, document, null, diagnostics);
        Assert.Equal(SchemaValidator.Verdicts(kind, document).Detailed, diagnostics.Count == 0);
    }

    /// <summary>
    /// A hostile commit shaped to slip past a lenient fast path: a look-alike letter, a newline that
    /// a .NET "$" would let through, a float or an overflowing integer where an integer goes. Each
    /// is refused with a finding, however the check and the library split the work.
    /// </summary>
    [Theory]
    [InlineData("  name: web", "  name: \"w\u0435b\"")]
    [InlineData("  name: web", "  name: \"web\\n\"")]
    [InlineData("      image: busybox:1.35", "      image: \"busybox:1.35\\n\"")]
    [InlineData("      ports: [{name: http, port: 8080}]", "      ports: [{name: http, port: 8080.5}]")]
    [InlineData("      ports: [{name: http, port: 8080}]", "      ports: [{name: http, port: 99999999999999999999}]")]
    [InlineData("  terminationGracePeriodSeconds: 10", "  terminationGracePeriodSeconds: 1e400")]
    public void RefusesADocumentShapedToSlipPastIt(string line, string with)
    {
        var text = Base.Replace(line, with, StringComparison.Ordinal);
        Assert.NotEqual(Base, text);
        var (kind, document) = Documents(text).Single();
        Assert.False(SchemaValidator.PassesFastCheck(kind, document));
        Assert.Contains(GitOrch.Core.Tests.Support.TestManifests.Validate(text).Diagnostics, d => d.IsError);
    }

    [Theory]
    [InlineData("^[a-z]+$", "^[a-z]+\\z")]
    [InlineData("^a\\$", "^a\\$")] // an escaped dollar is a character, not an anchor
    [InlineData("^a\\\\$", "^a\\\\\\z")]
    [InlineData("^a", "^a")]
    [InlineData("", "")]
    public void AFinalDollar_IsTheEndOfTheString(string pattern, string inProcess) => Assert.Equal(inProcess, SchemaRegistry.EndAnchored(pattern));

    [Fact]
    public void PassesTheBase() => Assert.True(SchemaValidator.PassesFastCheck("Pod", Documents(Base).Single().Document));

    private const string Base = SchemaValidatorTests.Base;

    [Fact]
    public void ASchemaWithAKeywordItDoesNotKnow_PassesNothingThere_AndRefsResolveAcrossFilesAndInCycles()
    {
        var raw = new Dictionary<string, JsonObject>(StringComparer.Ordinal)
        {
            ["a.schema.json"] = JsonNode.Parse("""
                {"$id": "https://x/a.schema.json", "type": "object",
                 "properties": {
                   "tree": {"$ref": "#/definitions/tree"},
                   "other": {"$ref": "b.schema.json#/definitions/name"},
                   "odd": {"type": "string", "format": "email"},
                   "inner": {"$ref": "#/definitions/tree", "description": "annotations beside a $ref are fine"},
                   "mixed": {"$ref": "#/definitions/tree", "type": "object"}
                 },
                 "definitions": {"tree": {"type": "object", "additionalProperties": {"$ref": "#/definitions/tree"}}}}
                """)!.AsObject(),
            ["b.schema.json"] = JsonNode.Parse("""{"definitions": {"name": {"type": "string", "pattern": "^[a-z]+$", "x-gitorch-hint": "a name"}}}""")!.AsObject(),
        };
        var check = SchemaCheck.CompileAll(raw)["a.schema.json"];
        bool Passes(string yaml) => check.Passes(YamlReader.Read("f.yaml", yaml, new List<Diagnostic>()).Single().Root);

        Assert.True(Passes("tree: {a: {b: {c: {}}}}\nother: abc\ninner: {}"));
        Assert.False(Passes("tree: {a: {b: 1}}"));
        Assert.False(Passes("other: ABC"));
        Assert.False(Passes("odd: someone@example.com")); // "format" is not the fast check's to judge
        Assert.False(Passes("mixed: {}")); // a $ref with sibling keywords: left to JsonSchema.Net
    }
}
