using System.Text.Json.Nodes;
using GitOrch.Core.Diagnostics;
using GitOrch.Core.Loading;
using GitOrch.Core.Validation;

namespace GitOrch.Import.Tests.Support;

/// <summary>Runs imports of fixture files or inline YAML, and validates what they produce with GitOrch's own validator.</summary>
internal static class Imports
{
    public static string Fixture(string relative) => Path.Combine(AppContext.BaseDirectory, "Fixtures", relative);

    public static ImportResult OfFixture(string relative, string? ns = null)
    {
        var (files, problems) = ImportFiles.Read(Fixture(relative));
        Assert.Empty(problems);
        return KubernetesImporter.Import(files, ns);
    }

    public static ImportResult Of(string yaml, string? ns = null) => KubernetesImporter.Import([("k8s.yaml", yaml)], ns);

    /// <summary>GitOrch's validation of the imported objects (each in its own file), with a ClusterPolicy when given.</summary>
    public static ValidationResult Validate(ImportResult result, string? policy = null) =>
        ManifestValidator.Validate([
            .. result.Objects.Select(o => new ManifestFile(o.RelativePath, o.Yaml)),
            .. policy is null ? Array.Empty<ManifestFile>() : [new ManifestFile("policy.yaml", policy)]]);

    /// <summary>The one refused note; fails listing every note otherwise.</summary>
    public static ImportNote Refusal(this ImportResult result)
    {
        var refused = result.Of(NoteKind.Refused).ToList();
        Assert.True(refused.Count == 1, $"expected one refusal, got {refused.Count}:\n{Dump(result)}");
        return refused[0];
    }

    /// <summary>An imported object's YAML read back as JSON (by GitOrch's reader, as validate reads it).</summary>
    public static JsonObject Json(ImportedObject obj)
    {
        var diagnostics = new List<Diagnostic>();
        var document = Assert.Single(YamlReader.Read(obj.RelativePath, obj.Yaml, diagnostics));
        Assert.Empty(diagnostics);
        return (JsonObject)SourceJson.ToJson(document.Root)!;
    }

    public static string Dump(ImportResult result) => string.Join('\n', result.Notes.Select(n => $"{n.Kind}: {n}"));

    public static string Dump(ValidationResult result) => string.Join('\n', result.Diagnostics);

    public static IReadOnlyList<Diagnostic> Weakenings(ValidationResult result) =>
        result.Diagnostics.Where(d => d.Code == DiagnosticCodes.WeakeningWithoutException).ToList();
}
