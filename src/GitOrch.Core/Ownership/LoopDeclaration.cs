using GitOrch.Core.Loading;
using GitOrch.Core.Manifests;

namespace GitOrch.Core.Ownership;

/// <summary>
/// A control loop as the registry sees it, built-in or from the config repo: what it handles,
/// what it owns and reads, and where its step sits in the workflow.
/// </summary>
public sealed record LoopDeclaration(
    string Name,
    string Description,
    IReadOnlyList<string> ObjectKinds,
    IReadOnlyList<FieldPath> Owns,
    IReadOnlyList<FieldPath> Reads,
    StepPlacement Step,
    LoopSelector? Selector,
    LoadedObject? Source)
{
    public bool IsBuiltIn => Source is null;

    /// <summary>"control-loop/scheduler": how the loop appears as a changer.</summary>
    public string Changer => $"control-loop/{Name}";

    /// <summary>Whether the loop applies to this object (kind, selector namespaces and labels).</summary>
    public bool Selects(ManifestObject obj)
    {
        if (!ObjectKinds.Contains(obj.Kind))
        {
            return false;
        }

        if (Selector is null)
        {
            return true;
        }

        if (Selector.Namespaces is { Count: > 0 } namespaces && obj.IsNamespaced && !namespaces.Contains(obj.Namespace))
        {
            return false;
        }

        if (Selector.Labels is { Count: > 0 } labels)
        {
            foreach (var (key, value) in labels)
            {
                if (obj.Metadata.Labels is null || !obj.Metadata.Labels.TryGetValue(key, out var actual) || actual != value)
                {
                    return false;
                }
            }
        }

        return true;
    }
}
