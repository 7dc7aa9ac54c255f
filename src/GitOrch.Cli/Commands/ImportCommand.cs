using System.CommandLine;
using GitOrch.Import;

namespace GitOrch.Cli.Commands;

/// <summary>
/// <c>gitorch import k8s PATH [-o DIR] [-n NS]</c>: Kubernetes manifests → GitOrch manifests, one
/// file per object under DIR (or all on stdout), and a summary of what was converted, absorbed,
/// ignored, adjusted, skipped and refused. Exit 0 done, 1 refused (then nothing is written).
/// </summary>
internal static class ImportCommand
{
    public static Command Create()
    {
        var path = new Argument<string>("PATH") { Description = "A Kubernetes YAML file, or a folder of them (read recursively)" };
        var output = new Option<string?>("--output-dir", "-o") { Description = "Write one file per object under this folder (default: all to stdout)" };
        var ns = new Option<string?>("--namespace", "-n") { Description = "Put every object in this namespace (default: each object's own, else default)" };
        var k8s = new Command("k8s", "Convert Kubernetes Pods, Deployments, ReplicaSets, StatefulSets, DaemonSets and Jobs to GitOrch manifests") { path, output, ns };
        k8s.SetAction(parse => Run(parse.GetRequiredValue(path), parse.GetValue(output), parse.GetValue(ns),
            parse.InvocationConfiguration.Output, parse.InvocationConfiguration.Error));
        return new Command("import", "Bring manifests of another system over to GitOrch") { k8s };
    }

    internal static int Run(string path, string? outputDir, string? ns, TextWriter output, TextWriter error)
    {
        var (files, problems) = ImportFiles.Read(path);
        var imported = KubernetesImporter.Import(files, ns);
        var result = imported with { Notes = [.. problems, .. imported.Notes] };
        var summary = outputDir is null ? error : output;
        if (!result.Refused)
        {
            if (outputDir is null)
            {
                output.Write(string.Join("---\n", result.Objects.Select(o => o.Yaml)));
            }
            else
            {
                foreach (var obj in result.Objects)
                {
                    var target = Path.Combine(outputDir, obj.RelativePath);
                    Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                    File.WriteAllText(target, obj.Yaml);
                }
            }
        }

        foreach (var obj in result.Refused ? [] : result.Objects)
        {
            var where = outputDir is null ? string.Empty : $" ({Path.Combine(outputDir, obj.RelativePath)})";
            summary.WriteLine($"converted  {obj.SourceFile}: {obj.SourceObject} → {obj.Kind} {obj.Namespace}/{obj.Name}{where}");
        }

        foreach (var kind in new[] { NoteKind.Absorbed, NoteKind.Ignored, NoteKind.Adjusted, NoteKind.Skipped, NoteKind.Refused })
        {
            foreach (var note in result.Of(kind))
            {
                summary.WriteLine($"{kind.ToString().ToLowerInvariant(),-10} {note}");
            }
        }

        var counts = string.Join(", ", new[] { NoteKind.Absorbed, NoteKind.Ignored, NoteKind.Adjusted, NoteKind.Skipped, NoteKind.Refused }
            .Select(k => $"{result.Of(k).Count()} {k.ToString().ToLowerInvariant()}"));
        summary.WriteLine($"import: {(result.Refused ? 0 : result.Objects.Count)} converted, {counts}");
        if (result.Refused)
        {
            error.WriteLine("import: refused: nothing was written; fix or remove each refused setting (the lines above name file, object and field) and run it again");
            return ExitCodes.Invalid;
        }

        if (result.Objects.Count > 0)
        {
            error.WriteLine($"import: check the result with `gitorch validate {outputDir ?? "DIR"}`: it names the ClusterPolicy exception each kept weakening needs");
        }

        return ExitCodes.Ok;
    }
}
