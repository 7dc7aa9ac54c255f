namespace GitOrch.Core.Diagnostics;

/// <summary>
/// One finding about the manifests. Every message names the object (when there is one) and says
/// what to do about it.
/// </summary>
public sealed record Diagnostic(
    string File,
    int Line,
    int Column,
    string Code,
    DiagnosticSeverity Severity,
    string Message,
    ObjectRef? Object)
{
    public static Diagnostic Error(SourceLocation at, string code, string message, ObjectRef? obj = null) =>
        new(at.File, at.Line, at.Column, code, DiagnosticSeverity.Error, message, obj);

    public static Diagnostic Warning(SourceLocation at, string code, string message, ObjectRef? obj = null) =>
        new(at.File, at.Line, at.Column, code, DiagnosticSeverity.Warning, message, obj);

    public bool IsError => Severity == DiagnosticSeverity.Error;

    /// <summary>The compiler-style line: <c>file:line:col: error CODE: message</c>.</summary>
    public override string ToString() =>
        $"{File}:{Line}:{Column}: {(IsError ? "error" : "warning")} {Code}: {Message}";
}
