using System.CommandLine;
using GitOrch.Cli.Output;
using GitOrch.Core.Diagnostics;
using GitOrch.Core.Loading;
using GitOrch.Core.Schema;
using GitOrch.Core.Validation;

namespace GitOrch.Cli.Commands;

/// <summary>
/// <c>gitorch validate PATH</c>: every diagnostic as <c>file:line:col: error|warning CODE: message</c>
/// (paths relative to PATH); exit 0 when valid, 1 when not.
/// </summary>
internal static class ValidateCommand
{
    public static Command Create(Terminal terminal)
    {
        var path = new Argument<string>("PATH") { Description = "A config repo folder, or one manifest file" };
        var output = CommonOptions.Output(OutputFormat.Text, OutputFormat.Json);
        var command = new Command("validate", "Check manifests: YAML, schema, security, field ownership and workflow graph")
        {
            path,
            output,
        };
        command.SetAction(parse => Run(
            parse.GetRequiredValue(path),
            parse.GetValue(output),
            parse.InvocationConfiguration.Output,
            parse.InvocationConfiguration.Error,
            terminal));
        return command;
    }

    internal static int Run(string path, OutputFormat format, TextWriter output, TextWriter error, Terminal terminal)
    {
        if (!Directory.Exists(path) && !File.Exists(path))
        {
            throw new CliException($"{path}: no such file or folder; give the path of a config repo or a manifest file");
        }

        // The schemas compile on another core while the files are found and read.
        var profile = StageTimer.Start("validate");
        var schemas = Task.Run(SchemaRegistry.CompileAll);
        var readDiagnostics = new List<Diagnostic>();
        var files = ManifestDirectory.Load(path, readDiagnostics); // files load on ManifestValidator.LoadThreads threads
        schemas.Wait();
        profile?.Stage("files read and loaded, schemas compiled");

        var result = ManifestValidator.Validate(files, readDiagnostics);

        if (format == OutputFormat.Json)
        {
            DiagnosticPrinter.Json(output, result.Diagnostics);
        }
        else
        {
            DiagnosticPrinter.Text(output, result.Diagnostics, terminal);
        }

        if (files.Count == 0)
        {
            error.WriteLine($"{path}: note: no *.yaml or *.yml manifests found (hidden paths and .gitorchignore entries are skipped); check the path");
        }

        var verdict = result.IsValid ? "valid" : "invalid";
        error.WriteLine(
            $"{path}: {verdict}: {result.Objects.Count} object(s) in {files.Count} file(s); {result.ErrorCount} error(s), {result.WarningCount} warning(s)");
        return result.IsValid ? ExitCodes.Ok : ExitCodes.Invalid;
    }
}
