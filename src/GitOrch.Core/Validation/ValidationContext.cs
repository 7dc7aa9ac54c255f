using GitOrch.Core.Diagnostics;
using GitOrch.Core.Loading;
using GitOrch.Core.Manifests;
using GitOrch.Core.Ownership;
using GitOrch.Core.Workflow;

namespace GitOrch.Core.Validation;

/// <summary>What the cross-object rules see: every object that passed its schema, and where to report.</summary>
internal sealed class ValidationContext(IReadOnlyList<LoadedObject> objects, ICollection<Diagnostic> diagnostics)
{
    public IReadOnlyList<LoadedObject> Objects { get; } = objects;

    public ICollection<Diagnostic> Diagnostics { get; } = diagnostics;

    /// <summary>Built-in loops plus the ControlLoops whose declarations are well-formed (filled by OwnershipRules).</summary>
    public List<LoopDeclaration> Loops { get; } = [.. BuiltInLoops.All];

    public IEnumerable<LoadedObject> OfKind(string kind) => Objects.Where(o => o.Object.Kind == kind);

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
