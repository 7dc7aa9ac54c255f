using System.Text.Json;
using GitOrch.Core.Diagnostics;
using GitOrch.Core.Rendering;

namespace GitOrch.Cli.Output;

/// <summary>Prints diagnostics as compiler-style lines or as a JSON array.</summary>
internal static class DiagnosticPrinter
{
    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        WriteIndented = true,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping, // Quotes stay readable; output is not embedded in HTML.
    };

    public static void Text(TextWriter output, IEnumerable<Diagnostic> diagnostics, Terminal terminal)
    {
        foreach (var d in diagnostics)
        {
            var severity = d.IsError ? terminal.Red("error") : terminal.Yellow("warning");
            output.WriteLine(Line(d.File, d.Line, d.Column, severity, d.Code, d.Message));
        }
    }

    /// <summary>A finding as one compiler-style line, its file and message escaped (<see cref="VisibleText.OneLine"/>).</summary>
    public static string Line(string file, int line, int column, string severity, string code, string message) =>
        $"{VisibleText.OneLine(file)}:{line}:{column}: {severity} {code}: {VisibleText.OneLine(message)}";

    public static void Json(TextWriter output, IEnumerable<Diagnostic> diagnostics)
    {
        var rows = diagnostics.Select(d => new DiagnosticJson(
            d.File, d.Line, d.Column, d.IsError ? "error" : "warning", d.Code, d.Message, d.Object?.Key));
        output.WriteLine(JsonSerializer.Serialize(rows, JsonOptions));
    }

    private sealed record DiagnosticJson(
        [property: System.Text.Json.Serialization.JsonPropertyName("file")] string File,
        [property: System.Text.Json.Serialization.JsonPropertyName("line")] int Line,
        [property: System.Text.Json.Serialization.JsonPropertyName("column")] int Column,
        [property: System.Text.Json.Serialization.JsonPropertyName("severity")] string Severity,
        [property: System.Text.Json.Serialization.JsonPropertyName("code")] string Code,
        [property: System.Text.Json.Serialization.JsonPropertyName("message")] string Message,
        [property: System.Text.Json.Serialization.JsonPropertyName("object")] string? Object);
}
