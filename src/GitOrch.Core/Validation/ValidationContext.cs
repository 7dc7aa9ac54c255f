using GitOrch.Core.Diagnostics;
using GitOrch.Core.Loading;
using GitOrch.Core.Manifests;
using GitOrch.Core.Ownership;
using GitOrch.Core.Workflow;

namespace GitOrch.Core.Validation;

/// <summary>What the cross-object rules see: every object that passed its schema, and where to report.</summary>
internal sealed class ValidationContext
{
    private LoadedObject? _policy;
    private bool _policyFound;
    private InputLimits? _limits;
    private readonly ValidationContext? _parent;
    private IReadOnlyList<(LoopDeclaration Loop, FieldPath Path)>? _owned;
    private RefIndex? _refs;

    private readonly IReadOnlyList<LoadedObject> _notPods;

    /// <param name="objects">Every object of the commit, in file order.</param>
    /// <param name="diagnostics">Where the rules report.</param>
    /// <param name="notPods">The objects that are not pods, in the same order (worked out from <paramref name="objects"/> when not given).</param>
    /// <param name="refs">How often each object is defined (counted from <paramref name="objects"/> when not given).</param>
    public ValidationContext(IReadOnlyList<LoadedObject> objects, ICollection<Diagnostic> diagnostics, IReadOnlyList<LoadedObject>? notPods = null, RefIndex? refs = null)
    {
        Objects = objects;
        Diagnostics = diagnostics;
        Loops = [.. BuiltInLoops.All];
        _notPods = notPods ?? [.. objects.Where(o => o.Object.Kind != Kinds.Pod)];
        _refs = refs;
    }

    private ValidationContext(ValidationContext parent, ICollection<Diagnostic> diagnostics)
    {
        _parent = parent;
        _notPods = parent._notPods;
        _refs = parent.Refs;
        Objects = parent.Objects;
        Diagnostics = diagnostics;
        Loops = parent.Loops;
        _policy = parent.Policy;
        _policyFound = true;
        _limits = parent.Limits;
    }

    public IReadOnlyList<LoadedObject> Objects { get; }

    public ICollection<Diagnostic> Diagnostics { get; }

    /// <summary>Built-in loops plus the ControlLoops whose declarations are well-formed (filled by OwnershipRules).</summary>
    public List<LoopDeclaration> Loops { get; }

    /// <summary>The commit's ClusterPolicy (the first one; a second is an error), or null.</summary>
    public LoadedObject? Policy
    {
        get
        {
            if (!_policyFound)
            {
                _policy = OfKind(Kinds.ClusterPolicy).FirstOrDefault();
                _policyFound = true;
            }

            return _policy;
        }
    }

    /// <summary>The input limits of <see cref="Policy"/> (defaults without one).</summary>
    public InputLimits Limits => _limits ??= InputLimits.Of(Policy?.Object as ClusterPolicy);

    /// <summary>Every field path a loop owns, with its loop (once <see cref="Loops"/> is complete).</summary>
    public IReadOnlyList<(LoopDeclaration Loop, FieldPath Path)> OwnedPaths =>
        _owned ??= _parent?.OwnedPaths ?? [.. Loops.SelectMany(l => l.Owns.Select(p => (l, p)))];

    /// <summary>The ClusterPolicy's security exceptions used so far, as (exception, allow) indexes.</summary>
    public HashSet<(int Exception, int Allow)> UsedExceptions { get; } = [];

    /// <summary>
    /// A context for the rules of one object: the same objects, loops and policy, its own
    /// diagnostics and used exceptions (what <see cref="ValidationCache"/> keeps per object).
    /// </summary>
    public ValidationContext ForObject(ICollection<Diagnostic> diagnostics) => new(this, diagnostics);

    /// <summary>The objects that are not pods, in file order.</summary>
    public IReadOnlyList<LoadedObject> NotPods => _notPods;

    /// <summary>The objects of one kind, in file order (pods are most objects; the other kinds are kept apart).</summary>
    public IEnumerable<LoadedObject> OfKind(string kind) => (kind == Kinds.Pod ? Objects : _notPods).Where(o => o.Object.Kind == kind);

    /// <summary>How often each object is defined in the commit.</summary>
    public RefIndex Refs => _refs ??= RefIndex.Of(Objects);

    public void Error(SourceLocation at, string code, string message, LoadedObject? about) =>
        Diagnostics.Add(Diagnostic.Error(at, code, Prefix(about) + message, about?.Ref));

    public void Warning(SourceLocation at, string code, string message, LoadedObject? about) =>
        Diagnostics.Add(Diagnostic.Warning(at, code, Prefix(about) + message, about?.Ref));

    /// <summary>Every pod spec an object carries, with the segments that lead to it.</summary>
    public static IEnumerable<(PodSpec Spec, object[] Prefix)> PodSpecs(LoadedObject obj)
    {
        switch (obj.Object)
        {
            case Pod pod:
                yield return (pod.Spec, ["spec"]);
                break;
            case PinnedDeployment pd:
                yield return (pd.Spec.Previous.Spec, ["spec", "previous", "spec"]);
                yield return (pd.Spec.Next.Spec, ["spec", "next", "spec"]);
                break;
        }
    }

    /// <summary>Units of the workflow graph: built-in targets, Targets from Git, and every loop's step.</summary>
    public IEnumerable<UnitDeclaration> Units()
    {
        var fromGit = OfKind(Kinds.Target).GroupBy(o => o.Object.Metadata.Name).ToDictionary(g => g.Key, g => g.First());
        foreach (var builtIn in BuiltInTargets.All)
        {
            // A Target in Git with a built-in name extends it, like a systemd drop-in: its ordering
            // and requirements are added to the built-in ones.
            yield return fromGit.Remove(builtIn.Name, out var extension)
                ? BuiltInTargets.Extend(builtIn, (Target)extension.Object, extension)
                : builtIn;
        }

        foreach (var obj in fromGit.Values)
        {
            var target = (Target)obj.Object;
            yield return new UnitDeclaration(target.Metadata.Name, UnitType.Target, target.Spec.Description, target.Spec.ToOrdering(), obj);
        }

        foreach (var loop in Loops)
        {
            yield return new UnitDeclaration(loop.Name, UnitType.Step, loop.Description, loop.Step.ToOrdering(), loop.Source);
        }
    }

    public static string Render(IEnumerable<object> segments) =>
        FieldPath.Render(segments.Select(s => s is int i ? $"[{i}]" : (string)s));

    private static string Prefix(LoadedObject? about) => about is null ? string.Empty : about.Ref.Display + ": ";
}
