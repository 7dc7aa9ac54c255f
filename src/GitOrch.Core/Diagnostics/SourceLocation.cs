namespace GitOrch.Core.Diagnostics;

/// <summary>A 1-based line and column in a file, with the file's path as it is shown to users.</summary>
public readonly record struct SourceLocation(string File, int Line, int Column)
{
    public override string ToString() => $"{File}:{Line}:{Column}";
}
