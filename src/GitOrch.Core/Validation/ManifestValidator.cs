using GitOrch.Core.Diagnostics;
using GitOrch.Core.Loading;

namespace GitOrch.Core.Validation;

/// <summary>
/// Validates a set of manifests as one commit: per-file reading and schema, then the rules that
/// span objects (duplicates, pod specs, security, ownership, workflow). Never stops at the first
/// error; the commit is valid only when no diagnostic is an error.
/// </summary>
public static class ManifestValidator
{
    private static void Profile(System.Diagnostics.Stopwatch? watch, string stage)
    {
        if (watch is not null)
        {
            Console.Error.WriteLine($"validate: {stage}: {watch.Elapsed.TotalMilliseconds:0.0} ms");
            watch.Restart();
        }
    }

    /// <summary>Reads and validates files; the result holds every object that loaded and every diagnostic, sorted.</summary>
    public static ValidationResult Validate(IEnumerable<ManifestFile> files) =>
        Validate(LoadAll(files.ToList()));

    /// <summary>Loads files in parallel (each file is independent until the cross-object rules), keeping their order.</summary>
    public static IReadOnlyList<FileLoadResult> LoadAll(IReadOnlyList<ManifestFile> files) =>
        files.Count < 8 ? files.Select(ManifestLoader.LoadFile).ToList() : files.AsParallel().AsOrdered().Select(ManifestLoader.LoadFile).ToList();

    /// <summary>Validates already-loaded files (the controller caches <see cref="FileLoadResult"/> per blob).</summary>
    public static ValidationResult Validate(IReadOnlyList<FileLoadResult> loaded, IEnumerable<Diagnostic>? earlier = null)
    {
        var diagnostics = new List<Diagnostic>(earlier ?? []);
        var objects = new List<LoadedObject>();
        foreach (var file in loaded)
        {
            diagnostics.AddRange(file.Diagnostics);
            objects.AddRange(file.Objects);
        }

        var context = new ValidationContext(objects, diagnostics);
        var profile = Environment.GetEnvironmentVariable("GITORCH_PROFILE") is not null ? System.Diagnostics.Stopwatch.StartNew() : null;
        DuplicateRules.Check(context);
        Profile(profile, "duplicates");
        LimitRules.Check(context);
        PodSpecRules.Check(context);
        Profile(profile, "pod specs");
        SecurityRules.Check(context);
        Profile(profile, "security");
        NetworkRules.Check(context);
        OwnershipRules.Check(context);
        Profile(profile, "ownership");
        WorkflowRules.Check(context);
        Profile(profile, "workflow");

        var unique = diagnostics.Distinct().ToList();
        Profile(profile, "sorting diagnostics");
        unique.Sort(DiagnosticOrder.Instance);
        return new ValidationResult(objects, unique, context.Loops, [.. context.Units().Where(u => u.Type == Workflow.UnitType.Target)]);
    }
}
