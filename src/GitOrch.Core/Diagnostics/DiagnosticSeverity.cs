namespace GitOrch.Core.Diagnostics;

/// <summary>How bad a diagnostic is. Errors reject the whole commit; warnings never do.</summary>
public enum DiagnosticSeverity
{
    Warning,
    Error,
}
