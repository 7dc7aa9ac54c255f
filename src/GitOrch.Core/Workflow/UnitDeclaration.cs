using GitOrch.Core.Loading;
using GitOrch.Core.Manifests;

namespace GitOrch.Core.Workflow;

/// <summary>Whether a unit is a target (a synchronisation point) or a step (a loop applied to an object).</summary>
public enum UnitType
{
    Target,
    Step,
}

/// <summary>Ordering (before/after) and requirement (requires/wants) of a unit: orthogonal, as in systemd.</summary>
public sealed record UnitOrdering(
    IReadOnlyList<string> Before,
    IReadOnlyList<string> After,
    IReadOnlyList<string> Requires,
    IReadOnlyList<string> Wants);

/// <summary>A target or step as declared, built-in (no source) or from the config repo.</summary>
public sealed record UnitDeclaration(string Name, UnitType Type, string? Description, UnitOrdering Ordering, LoadedObject? Source)
{
    public bool IsBuiltIn => Source is null;
}

/// <summary>Conversions from manifest fields to <see cref="UnitOrdering"/>.</summary>
public static class UnitOrderingExtensions
{
    public static UnitOrdering ToOrdering(this TargetSpec spec) =>
        new(spec.Before ?? [], spec.After ?? [], spec.Requires ?? [], spec.Wants ?? []);

    public static UnitOrdering ToOrdering(this StepPlacement step) =>
        new(step.Before ?? [], step.After ?? [], step.Requires ?? [], step.Wants ?? []);
}
