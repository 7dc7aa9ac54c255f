namespace GitOrch.Core.Loading;

/// <summary>One YAML document of a file: its root node and where it starts.</summary>
public sealed record SourceDocument(string File, int Index, SourceNode Root)
{
    /// <summary>The size of the document as compact JSON (aliases expanded), counted while it was read.</summary>
    public long JsonBytes { get; init; }
}
