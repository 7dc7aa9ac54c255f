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

    /// <summary>
    /// Validates already-loaded files (the controller caches <see cref="FileLoadResult"/> per blob).
    /// With a <paramref name="cache"/>, the rules of one object run only for objects it has not seen
    /// under the same ClusterPolicy and ControlLoops; the rules across objects always run.
    /// </summary>
    public static ValidationResult Validate(IReadOnlyList<FileLoadResult> loaded, IEnumerable<Diagnostic>? earlier = null, ObjectRuleCache? cache = null)
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
        SecurityRules.CheckPolicy(context);
        NetworkRules.Check(context);
        OwnershipRules.CheckLoops(context);
        Profile(profile, "duplicates, policy, loops");

        cache?.Begin(objects);
        foreach (var obj in objects)
        {
            if (cache is not null && cache.TryGet(obj, out var known))
            {
                diagnostics.AddRange(known.Diagnostics);
                context.UsedExceptions.UnionWith(known.UsedExceptions);
                continue;
            }

            var found = new List<Diagnostic>();
            var one = context.ForObject(found);
            CheckObject(one, obj);
            diagnostics.AddRange(found);
            context.UsedExceptions.UnionWith(one.UsedExceptions);
            cache?.Add(obj, found.Count == 0 && one.UsedExceptions.Count == 0 ? ObjectRuleCache.Findings.None : new ObjectRuleCache.Findings([.. found], [.. one.UsedExceptions]));
        }

        Profile(profile, cache is null ? "rules of each object" : $"rules of each object ({cache.Checked} checked, {cache.Reused} unchanged)");
        SecurityRules.ReportUnused(context);
        OwnershipRules.CheckGeneratedPods(context);
        WorkflowRules.Check(context);
        Profile(profile, "unused exceptions, generated pods, workflow");

        var unique = diagnostics.Distinct().ToList();
        unique.Sort(DiagnosticOrder.Instance);
        Profile(profile, "sorting diagnostics");
        return new ValidationResult(objects, unique, context.Loops, [.. context.Units().Where(u => u.Type == Workflow.UnitType.Target)]);
    }

    /// <summary>The rules that read one object (and the commit's ClusterPolicy and loops), nothing else.</summary>
    private static void CheckObject(ValidationContext context, LoadedObject obj)
    {
        LimitRules.CheckObject(context, obj);
        PodSpecRules.CheckObject(context, obj);
        SecurityRules.CheckObject(context, obj);
        OwnershipRules.CheckObject(context, obj);
    }
}
