using GitOrch.Core.Diagnostics;
using GitOrch.Core.Manifests;
using GitOrch.Core.Schema;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text.Json;

namespace GitOrch.Core.Loading;

/// <summary>
/// Turns manifest files into typed objects: YAML → schema → records. Every problem becomes a
/// diagnostic; a document with an error yields no object, the others still load.
/// </summary>
public static class ManifestLoader
{
    /// <summary>Maps whose values are strings even when written as numbers or booleans.</summary>
    private static readonly HashSet<string> StringMaps = new(StringComparer.Ordinal) { "env", "sysctls" };

    /// <summary>
    /// Loads one file's documents. Pure: the same text gives the same result (cacheable by blob id).
    /// With <paramref name="keepText"/> the objects keep the file's text, so that their documents can
    /// be released (see <see cref="FileLoadResult.ReleaseDocuments"/>, and <see cref="LoadFileReleased"/>,
    /// which every load of many files uses); without it (a single written object in admission) the
    /// documents stay.
    /// </summary>
    public static FileLoadResult LoadFile(ManifestFile file, bool keepText = false)
    {
        var diagnostics = new List<Diagnostic>();
        var objects = new List<LoadedObject>();
        var source = keepText ? new DocumentSource(file.Path, file.Text) : null;
        foreach (var document in YamlReader.Read(file.Path, file.Text, diagnostics))
        {
            if (LoadDocument(document, file.Text, source, diagnostics) is { } loaded)
            {
                objects.Add(loaded);
            }
        }

        return new FileLoadResult(file.Path, objects, diagnostics);
    }

    /// <summary>
    /// Loads one file and releases its documents at once (see <see cref="FileLoadResult.ReleaseDocuments"/>):
    /// for loads of many files, whose rules need a position only for a finding.
    /// </summary>
    public static FileLoadResult LoadFileReleased(ManifestFile file)
    {
        var result = LoadFile(file, keepText: true);
        result.ReleaseDocuments();
        return result;
    }

    private static LoadedObject? LoadDocument(SourceDocument document, string text, DocumentSource? source, List<Diagnostic> diagnostics)
    {
        var start = new SourceLocation(document.File, document.Root.Line, document.Root.Column);
        if (document.Root is not MappingNode root)
        {
            diagnostics.Add(Diagnostic.Error(start, DiagnosticCodes.ApiVersion,
                $"a manifest must be a mapping with apiVersion, kind and metadata, not {document.Root.Describe()}; fix the document"));
            return null;
        }

        var apiVersion = root.Entry("apiVersion");
        var kindEntry = root.Entry("kind");
        var name = (root["metadata"] as MappingNode)?["name"] as ScalarNode;
        var nameText = name?.Value ?? "(unnamed)";
        if (apiVersion is not { Value: ScalarNode { Kind: ScalarKind.String } version } || version.Value != ManifestObject.ApiVersionV1)
        {
            var at = apiVersion is { } a ? new SourceLocation(document.File, a.Value.Line, a.Value.Column) : start;
            var got = apiVersion is { Value: ScalarNode s } ? $"\"{s.Value}\"" : "missing";
            diagnostics.Add(Diagnostic.Error(at, DiagnosticCodes.ApiVersion,
                $"document \"{nameText}\": apiVersion is {got}; set apiVersion: {ManifestObject.ApiVersionV1}"));
            return null;
        }

        if (kindEntry is not { Value: ScalarNode { Kind: ScalarKind.String } kindNode } || Kinds.RecordType(kindNode.Value) is not { } type)
        {
            var at = kindEntry is { } k ? new SourceLocation(document.File, k.Value.Line, k.Value.Column) : start;
            var got = kindEntry is { Value: ScalarNode s } ? $"\"{s.Value}\"" : "missing";
            var suggestion = kindEntry is { Value: ScalarNode g } ? SchemaValidator.Suggest(g.Value, Kinds.All.ToList()) : null;
            var hint = suggestion is not null ? $"did you mean {suggestion}?" : $"use one of: {string.Join(", ", Kinds.All)}";
            diagnostics.Add(Diagnostic.Error(at, DiagnosticCodes.UnknownKind, $"document \"{nameText}\": kind is {got}; {hint}"));
            return null;
        }

        var kind = kindNode.Value;
        var namespaced = Kinds.IsNamespaced(kind);
        var ns = (root["metadata"] as MappingNode)?["namespace"] as ScalarNode;
        var objRef = new ObjectRef(kind, namespaced ? ns?.Value ?? ManifestObject.DefaultNamespace : string.Empty, nameText);

        var before = diagnostics.Count;
        SchemaValidator.Validate(kind, document, objRef, diagnostics);
        if (!namespaced && ns is not null)
        {
            var nsKey = ((MappingNode)root["metadata"]!).Entry("namespace")!.Value.Key;
            diagnostics.Add(Diagnostic.Error(new SourceLocation(document.File, nsKey.Line, nsKey.Column), DiagnosticCodes.NamespaceOnClusterScoped,
                $"{objRef.Display}: {kind} is cluster-scoped; remove metadata.namespace", objRef));
        }

        if (diagnostics.Count > before)
        {
            return null;
        }

        var json = SourceJson.WriteStored(root, StringMaps);
        try
        {
            var typed = (ManifestObject)JsonSerializer.Deserialize(json, type, ManifestJson.Options)!;
            // Objects that are not pods are compared by their text across commits (see LoadedObject.SameTextAs).
            var textHash = kind == Kinds.Pod ? null : SHA256.HashData(MemoryMarshal.AsBytes(text.AsSpan(document.TextStart, document.TextEnd - document.TextStart)));
            return new LoadedObject(typed, json, document, source, textHash);
        }
        catch (JsonException ex)
        {
            // The schema should have caught this; report it rather than crash.
            diagnostics.Add(Diagnostic.Error(start, DiagnosticCodes.WrongType,
                $"{objRef.Display}: cannot read the object ({ex.Message}); check the field types against docs/manifests.md", objRef));
            return null;
        }
    }
}

/// <summary>What one file yielded: its objects and its diagnostics.</summary>
public sealed record FileLoadResult(string File, IReadOnlyList<LoadedObject> Objects, IReadOnlyList<Diagnostic> Diagnostics)
{
    /// <summary>Releases the objects' documents (see <see cref="LoadedObject.ReleaseDocument"/>): for results kept across commits.</summary>
    public void ReleaseDocuments()
    {
        foreach (var obj in Objects)
        {
            obj.ReleaseDocument();
        }
    }

    /// <summary>Set when the file was not read because of its size (see <see cref="BoundedFiles"/>).</summary>
    public long? OversizeBytes { get; init; }
}
