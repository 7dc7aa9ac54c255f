namespace GitOrch.Core.Loading;

/// <summary>One YAML document of a file: its root node and where it starts.</summary>
public sealed record SourceDocument(string File, int Index, SourceNode Root);
