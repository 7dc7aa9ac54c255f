using GitOrch.Core.Diagnostics;
using GitOrch.Core.Manifests;
using System.Text;
using System.Text.Json.Nodes;

namespace GitOrch.Core.Loading;

/// <summary>
/// An object that passed the schema: its typed record, its JSON (for history, diff and ownership
/// checks; kept as compact UTF-8, a tenth of the size of a <see cref="JsonObject"/> tree and
/// nothing for the collector to trace) and its YAML document (for positions). A long-lived holder
/// (the controller's cache of a commit's files) may release the document: it is most of what an
/// object holds, and is read again from the file's text only when a position in it is asked for.
/// </summary>
public sealed class LoadedObject(ManifestObject obj, byte[] json, SourceDocument document, DocumentSource? source = null, byte[]? textHash = null)
{
    private SourceDocument? _document = document;

    public ManifestObject Object { get; } = obj;

    /// <summary>The object as compact JSON (UTF-8), as the store writes it.</summary>
    public ReadOnlyMemory<byte> Utf8Json { get; } = json;

    /// <summary>The object as compact JSON text, as the store writes it.</summary>
    public string JsonText => Encoding.UTF8.GetString(json);

    /// <summary>
    /// The object's JSON as a tree, parsed from <see cref="Utf8Json"/> on every call: the caller
    /// owns the tree (it may change it), and should ask once, not once per field.
    /// </summary>
    public JsonObject Json => ManifestJson.Parse(json);

    /// <summary>The object's top-level fields (apiVersion, kind, metadata, spec, status…), in the file's order.</summary>
    public IReadOnlyList<string> Fields { get; } = TopLevelFields(document.Root);

    /// <summary>Whether the object sets this top-level field.</summary>
    public bool Has(string field) => Fields.Contains(field);

    /// <summary>
    /// The YAML document, read again from the file's text when it was released (the file keeps the
    /// documents it read again while anything holds them, so several positions read it once).
    /// </summary>
    public SourceDocument Document => Volatile.Read(ref _document) ?? source!.Document(Index);

    public ObjectRef Ref => Object.Ref;

    public string File { get; } = document.File;

    /// <summary>The document's index in its file.</summary>
    public int Index { get; } = document.Index;

    /// <summary>The size of the document as compact JSON (aliases expanded), counted while it was read.</summary>
    public long JsonBytes { get; } = document.JsonBytes;

    /// <summary>Where the document starts (its first key).</summary>
    public SourceLocation Location { get; } = new(document.File, document.Root.Line, document.Root.Column);

    /// <summary>
    /// Whether <paramref name="other"/> is this object written the same way at the same place: the
    /// same file, the same document index and start, and the same text from its first character
    /// to its last (compared by a SHA-256 of it, taken while the file was read), so that every
    /// finding about it, with its positions, is the same. Known for objects that are not pods
    /// (false otherwise, unless it is this instance).
    /// </summary>
    public bool SameTextAs(LoadedObject other) =>
        ReferenceEquals(this, other)
        || _textHash is not null && other._textHash is not null && File == other.File && Index == other.Index && Location == other.Location
            && _textHash.AsSpan().SequenceEqual(other._textHash);

    private readonly byte[]? _textHash = textHash;

    /// <summary>How many times this object's file was read again for a position (see <see cref="ReleaseDocument"/>).</summary>
    public int Rereads => source?.Rereads ?? 0;

    /// <summary>Whether the document is held (not released).</summary>
    public bool HoldsDocument => Volatile.Read(ref _document) is not null;

    /// <summary>
    /// Lets the document go; the next position asked for reads it again (the file, not each object,
    /// keeps what it read again while anything holds it). Nothing happens for an object loaded
    /// without its file's text.
    /// </summary>
    public void ReleaseDocument()
    {
        if (source is null || Volatile.Read(ref _document) is null)
        {
            return;
        }

        source.Compact();
        Volatile.Write(ref _document, null);
    }

    private static string[] TopLevelFields(SourceNode root) =>
        root is MappingNode mapping
            ? [.. mapping.Entries.Select(e => e.Key.Value switch
            {
                // The usual names are shared, not held once per object.
                "apiVersion" => "apiVersion",
                "kind" => "kind",
                "metadata" => "metadata",
                "spec" => "spec",
                "status" => "status",
                var other => other,
            })]
            : [];

    /// <summary>
    /// The position of a field given by explicit segments (string keys, int indexes): the key's
    /// position for a mapping entry. Falls back to the nearest existing parent, then the document.
    /// </summary>
    public SourceLocation At(params object[] segments)
    {
        var root = Document.Root;
        for (var n = segments.Length; n >= 0; n--)
        {
            if (NodeLocator.Find(root, segments.Take(n)) is { } found)
            {
                var (line, column) = found.Position;
                return new SourceLocation(File, line, column);
            }
        }

        return Location;
    }

    /// <summary>The position of the value (not the key) of a field.</summary>
    public SourceLocation ValueAt(params object[] segments) =>
        NodeLocator.Find(Document.Root, segments) is { } found
            ? new SourceLocation(File, found.Node.Line, found.Node.Column)
            : At(segments);
}
