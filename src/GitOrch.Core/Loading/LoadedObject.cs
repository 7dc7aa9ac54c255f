using GitOrch.Core.Diagnostics;
using GitOrch.Core.Manifests;
using System.Text.Json.Nodes;

namespace GitOrch.Core.Loading;

/// <summary>
/// An object that passed the schema: its typed record, its JSON (for history, diff and ownership
/// checks) and its YAML document (for positions).
/// </summary>
public sealed record LoadedObject(ManifestObject Object, JsonObject Json, SourceDocument Document)
{
    public ObjectRef Ref => Object.Ref;

    public string File => Document.File;

    /// <summary>Where the document starts (its first key).</summary>
    public SourceLocation Location => new(File, Document.Root.Line, Document.Root.Column);

    /// <summary>
    /// The position of a field given by explicit segments (string keys, int indexes): the key's
    /// position for a mapping entry. Falls back to the nearest existing parent, then the document.
    /// </summary>
    public SourceLocation At(params object[] segments)
    {
        for (var n = segments.Length; n >= 0; n--)
        {
            if (NodeLocator.Find(Document.Root, segments.Take(n)) is { } found)
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
