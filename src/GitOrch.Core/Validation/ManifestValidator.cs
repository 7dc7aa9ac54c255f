using GitOrch.Core.Diagnostics;
using GitOrch.Core.Loading;
using GitOrch.Core.Manifests;

namespace GitOrch.Core.Validation;

/// <summary>
/// Validates a set of manifests as one commit: per-file reading and schema, then the rules that
/// span objects (duplicates, pod specs, security, ownership, workflow). Never stops at the first
/// error; the commit is valid only when no diagnostic is an error.
/// </summary>
public static class ManifestValidator
{
    /// <summary>Reads and validates files; the result holds every object that loaded and every diagnostic, sorted.</summary>
    public static ValidationResult Validate(IEnumerable<ManifestFile> files) =>
        Validate(LoadAll(files.ToList()));

    /// <summary>
    /// Loads files on <see cref="LoadThreads"/> threads (each file is independent until the cross-object rules), keeping
    /// their order. Each file's positioned trees are released as soon as it is loaded (see
    /// <see cref="FileLoadResult.ReleaseDocuments"/>): the rules need a position only for a
    /// finding, and a tree held per object until then is most of what a load keeps (and most of
    /// what the collector has to copy while thousands of files load).
    /// </summary>
    public static IReadOnlyList<FileLoadResult> LoadAll(IReadOnlyList<ManifestFile> files) => InOrder(files, ManifestLoader.LoadFileReleased);

    /// <summary>
    /// The threads a load of many files uses: every core but one, which stays free for what runs
    /// beside a load (the API, the workflows, the next commit's fetch). One on a 2-core machine,
    /// where two threads are also slower than one: the YAML parser's shared buffer pool is
    /// contended on every scalar (docs/benchmarks.md).
    /// </summary>
    public static int LoadThreads { get; } = Math.Max(1, Environment.ProcessorCount - 1);

    /// <summary>Maps files (or anything per file) on <see cref="LoadThreads"/> threads, from 8 of them, keeping their order.</summary>
    internal static List<TOut> InOrder<TIn, TOut>(IReadOnlyList<TIn> items, Func<TIn, TOut> map) =>
        items.Count < 8 || LoadThreads < 2
            ? items.Select(map).ToList()
            : items.AsParallel().AsOrdered().WithDegreeOfParallelism(LoadThreads).Select(map).ToList();

    /// <summary>
    /// Validates already-loaded files (the controller caches <see cref="FileLoadResult"/> per blob).
    /// With a <paramref name="cache"/>, the work done for files it saw before under the same
    /// ClusterPolicy and ControlLoops is not done again (see <see cref="ValidationCache"/>); what it
    /// finds is exactly what a validation without one finds.
    /// </summary>
    public static ValidationResult Validate(IReadOnlyList<FileLoadResult> loaded, IEnumerable<Diagnostic>? earlier = null, ValidationCache? cache = null)
    {
        var profile = StageTimer.Start("validate");
        var diagnostics = new List<Diagnostic>(earlier ?? []);
        foreach (var file in loaded)
        {
            if (file.Diagnostics.Count > 0)
            {
                diagnostics.AddRange(file.Diagnostics);
            }
        }

        var objects = new FileObjects(loaded);

        ValidationContext context;
        if (cache is null)
        {
            context = new ValidationContext(objects, diagnostics);
        }
        else
        {
            var (notPods, refs) = cache.Update(loaded);
            context = new ValidationContext(objects, diagnostics, notPods, refs);
        }

        profile?.Stage("objects and their counts");
        DuplicateRules.Check(context);

        // The policy, the loops and the workflow graph read only the objects that are not pods: the
        // same instances as last time, their findings are the same too.
        var globals = cache?.GlobalsFor(context.NotPods);
        Diagnostic[] policyFound = [];
        (int, int)[] usedByPolicy = [];
        if (globals is not null)
        {
            diagnostics.AddRange(globals.Policy);
            context.Loops.Clear();
            context.Loops.AddRange(globals.Loops);
            context.UsedExceptions.UnionWith(globals.UsedByPolicy);
        }
        else
        {
            var mark = diagnostics.Count;
            SecurityRules.CheckPolicy(context);
            NetworkRules.Check(context);
            OwnershipRules.CheckLoops(context);
            policyFound = [.. diagnostics.Skip(mark)];
            usedByPolicy = [.. context.UsedExceptions];
        }

        profile?.Stage(globals is null ? "duplicates, policy and loops" : "duplicates (policy and loops unchanged)");

        cache?.Begin(context.OfKind(Kinds.ClusterPolicy).Concat(context.OfKind(Kinds.ControlLoop)));
        for (var position = 0; position < loaded.Count; position++)
        {
            var file = loaded[position];
            if (cache is not null && cache.TryGet(position, file, out var known))
            {
                diagnostics.AddRange(known.Diagnostics);
                context.UsedExceptions.UnionWith(known.UsedExceptions);
                continue;
            }

            var found = new List<Diagnostic>();
            var one = context.ForObject(found);
            foreach (var obj in file.Objects)
            {
                CheckObject(one, obj);
            }

            diagnostics.AddRange(found);
            context.UsedExceptions.UnionWith(one.UsedExceptions);
            cache?.Add(file, found.Count == 0 && one.UsedExceptions.Count == 0 ? ValidationCache.Findings.None : new ValidationCache.Findings([.. found], [.. one.UsedExceptions]));
        }

        profile?.Stage(cache is null ? "rules of each object" : $"rules of each object ({cache.Checked} checked, {cache.Reused} unchanged)");
        SecurityRules.ReportUnused(context);
        var generated = globals?.GeneratedPods ?? OwnershipRules.GeneratedPods(context);
        OwnershipRules.CheckGeneratedPods(context, generated);
        IReadOnlyList<Workflow.UnitDeclaration> targets;
        if (globals is not null)
        {
            diagnostics.AddRange(globals.Workflow);
            targets = globals.Targets;
        }
        else
        {
            var mark = diagnostics.Count;
            WorkflowRules.Check(context);
            targets = [.. context.Units().Where(u => u.Type == Workflow.UnitType.Target)];
            cache?.Keep(new ValidationCache.Globals([.. context.NotPods], [.. context.Loops], policyFound, usedByPolicy, [.. diagnostics.Skip(mark)], targets, generated));
        }

        profile?.Stage("unused exceptions, generated pods, workflow");

        var unique = diagnostics.Distinct().ToList();
        unique.Sort(DiagnosticOrder.Instance);
        var result = new ValidationResult(objects, unique, context.Loops, targets) { NotPods = context.NotPods, Refs = context.Refs, RefsGeneration = context.Refs.Generation };
        profile?.Stage("sorting diagnostics");
        return result;
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
