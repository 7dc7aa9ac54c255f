namespace GitOrch.Core.Loading;

/// <summary>A manifest file's text, with the path shown in diagnostics (relative, '/'-separated).</summary>
public sealed record ManifestFile(string Path, string Text);
