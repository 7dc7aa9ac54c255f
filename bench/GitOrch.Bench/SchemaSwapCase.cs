using System.Diagnostics;
using GitOrch.Core.Diagnostics;
using GitOrch.Core.Loading;
using GitOrch.Core.Schema;

namespace GitOrch.Bench;

/// <summary>
/// The JSON Schema swap measured in one run: NJsonSchema (plus the JObject it needs and GitOrch's
/// propertyNames walk) against JsonSchema.Net on the same parsed documents; each engine's first
/// load of the five schemas, and the per-object validation time on one thread.
/// </summary>
public static class SchemaSwapCase
{
    public static IEnumerable<string> Run(string repo)
    {
        var docs = Directory.EnumerateFiles(repo, "*.yaml", SearchOption.AllDirectories)
            .SelectMany(f => YamlReader.Read(f, File.ReadAllText(f), new List<Diagnostic>()))
            .Select(d => (Doc: d, Kind: ((d.Root as MappingNode)?["kind"] as ScalarNode)?.Value ?? "Pod"))
            .ToList();
        var kinds = docs.Select(d => d.Kind).Distinct().ToList();

        var watch = Stopwatch.StartNew();
        foreach (var kind in kinds)
        {
            LegacySchemaValidator.Load(kind);
        }

        var legacyLoad = watch.Elapsed;
        watch.Restart();
        SchemaRegistry.CompileAll();
        var newLoad = watch.Elapsed;

        var legacy = Measure.Sync(Measure.Runs, () =>
        {
            foreach (var (doc, kind) in docs)
            {
                var diagnostics = new List<Diagnostic>();
                LegacySchemaValidator.Validate(kind, SourceJson.ToJson(doc.Root), doc, null, diagnostics);
                Check(diagnostics);
            }
        });
        var current = Measure.Sync(Measure.Runs, () =>
        {
            foreach (var (doc, kind) in docs)
            {
                var diagnostics = new List<Diagnostic>();
                SchemaValidator.Validate(kind, doc, null, diagnostics);
                Check(diagnostics);
            }
        });

        var perLegacy = legacy.Median.TotalMicroseconds / docs.Count;
        var perNew = current.Median.TotalMicroseconds / docs.Count;
        yield return $"| first load of the schemas of the {kinds.Count} kinds used: NJsonSchema | {Measure.Ms(legacyLoad)} |";
        yield return $"| first load of all 5 schemas: JsonSchema.Net (compiled once, `$ref` across files) | {Measure.Ms(newLoad)} |";
        yield return $"| validate {docs.Count:N0} objects, one thread: NJsonSchema + JObject + propertyNames walk | {legacy} = {perLegacy:0.0} µs/object |";
        yield return $"| validate {docs.Count:N0} objects, one thread: JsonSchema.Net from the node tree | {current} = {perNew:0.0} µs/object |";
    }

    private static void Check(List<Diagnostic> diagnostics)
    {
        if (diagnostics.Count > 0)
        {
            throw new InvalidOperationException("the generated repo should validate: " + diagnostics[0]);
        }
    }
}
