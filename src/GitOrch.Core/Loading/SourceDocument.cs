namespace GitOrch.Core.Loading;

/// <summary>One YAML document of a file: its root node and where it starts.</summary>
public sealed record SourceDocument(string File, int Index, SourceNode Root)
{
    /// <summary>The size of the document as compact JSON (aliases expanded), counted while it was read.</summary>
    public long JsonBytes { get; init; }

    /// <summary>Where the document's text starts in its file (a character offset).</summary>
    public int TextStart { get; init; }

    /// <summary>Where the document's text ends in its file (a character offset, exclusive).</summary>
    public int TextEnd { get; init; }
}
