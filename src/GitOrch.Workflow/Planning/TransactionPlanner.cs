using System.Collections.Concurrent;
using System.Text;
using GitOrch.Core.Diagnostics;
using GitOrch.Core.Manifests;
using GitOrch.Core.Ownership;
using GitOrch.Core.Workflow;
using GitOrch.Workflow.Model;

namespace GitOrch.Workflow.Planning;

/// <summary>
/// Builds the units of one object's transaction from the registry: the steps of every loop that
/// selects the object, the targets they are placed around (built-in targets for pods), and the
/// ordering and requirement edges between them. References to units outside the object's graph
/// (a loop whose selector leaves the object out) are dropped: they are not part of its workflow.
/// </summary>
/// <remarks>
/// The graph depends only on which loops select the object, whether it is a pod and its init
/// containers' names, so objects alike share one plan: it is built once per such shape and each
/// object gets its own copy of the units (at most <see cref="MaxShapes"/> shapes are kept; when
/// one more comes, they are let go and kept anew). The loops and targets must not change under a planner.
/// </remarks>
public sealed class TransactionPlanner(IReadOnlyList<LoopDeclaration> loops, IReadOnlyList<UnitDeclaration> targets)
{
    /// <summary>How many distinct plans a planner keeps.</summary>
    public const int MaxShapes = 256;

    private readonly ConcurrentDictionary<string, IReadOnlyList<Unit>> _shapes = new(StringComparer.Ordinal);

    public IReadOnlyList<LoopDeclaration> Loops => loops;

    /// <summary>How many shapes' plans are kept now.</summary>
    internal int ShapesKept => _shapes.Count;

    /// <summary>Whether this planner was made for exactly these loops and targets (the same lists).</summary>
    public bool IsFor(IReadOnlyList<LoopDeclaration> loopList, IReadOnlyList<UnitDeclaration> targetList) =>
        ReferenceEquals(loops, loopList) && ReferenceEquals(targets, targetList);

    /// <summary>The units of <paramref name="obj"/>'s transaction, new and waiting.</summary>
    public IReadOnlyList<Unit> Plan(ManifestObject obj)
    {
        var steps = new Dictionary<string, LoopDeclaration>(StringComparer.Ordinal);
        var key = new StringBuilder(obj.Kind == Kinds.Pod ? "pod" : "object");
        foreach (var loop in loops)
        {
            if (loop.Selects(obj))
            {
                steps.Add(loop.Name, loop);
                key.Append('\0').Append(loop.Name);
            }
        }

        if (obj is Pod { Spec.InitContainers: { Count: > 0 } inits } && steps.ContainsKey(BuiltInLoops.Runtime))
        {
            key.Append("\0\0");
            foreach (var init in inits)
            {
                key.Append('\0').Append(init.Name);
            }
        }

        var shape = key.ToString();
        if (!_shapes.TryGetValue(shape, out var plan))
        {
            plan = Build(obj, steps);
            if (_shapes.Count >= MaxShapes)
            {
                // More shapes than kept (pods with init containers named each their own way): the
                // plans start over, so the shapes of the objects planned now are kept, not only
                // the first ones ever seen.
                _shapes.Clear();
            }

            _shapes.TryAdd(shape, plan);
        }

        var units = new Unit[plan.Count];
        for (var i = 0; i < units.Length; i++)
        {
            units[i] = plan[i].Fresh();
        }

        return units;
    }

    private List<Unit> Build(ManifestObject obj, Dictionary<string, LoopDeclaration> steps)
    {
        var declared = new Dictionary<string, (UnitType Type, UnitOrdering Ordering, LoopDeclaration? Loop)>(StringComparer.Ordinal);
        foreach (var loop in steps.Values)
        {
            declared[loop.Name] = (UnitType.Step, loop.Step.ToOrdering(), loop);
        }

        var targetsByName = targets.ToDictionary(t => t.Name);
        if (obj.Kind == Kinds.Pod)
        {
            foreach (var builtIn in BuiltInTargets.All)
            {
                declared[builtIn.Name] = (UnitType.Target, targetsByName.GetValueOrDefault(builtIn.Name, builtIn).Ordering, null);
            }
        }

        // A pod's init containers: one step each, in order, after its network and storage and before the runtime starts its containers.
        var extraRequires = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        if (obj is Pod { Spec.InitContainers: { Count: > 0 } inits } && steps.TryGetValue(BuiltInLoops.Runtime, out var runtime))
        {
            var previous = new List<string> { BuiltInTargets.Network, BuiltInTargets.Storage };
            foreach (var init in inits)
            {
                var name = InitStepName(init.Name);
                declared[name] = (UnitType.Step, new UnitOrdering([BuiltInLoops.Runtime], previous, previous, []), runtime);
                previous = [name];
            }

            extraRequires[BuiltInLoops.Runtime] = previous;
        }

        // Pull in targets connected to the graph (referenced by it, or referencing it), to a fixpoint.
        for (var changed = true; changed;)
        {
            changed = false;
            foreach (var target in targets.Where(t => !declared.ContainsKey(t.Name)))
            {
                var referenced = declared.Values.Any(d => References(d.Ordering, target.Name));
                var references = declared.Keys.Any(n => References(target.Ordering, n));
                if (referenced || references)
                {
                    declared[target.Name] = (UnitType.Target, target.Ordering, null);
                    changed = true;
                }
            }
        }

        // "A after B" and "B before A" are the same edge.
        var after = declared.Keys.ToDictionary(n => n, _ => new SortedSet<string>(StringComparer.Ordinal), StringComparer.Ordinal);
        foreach (var (name, (_, ordering, _)) in declared)
        {
            foreach (var a in ordering.After.Where(declared.ContainsKey).Where(a => a != name))
            {
                after[name].Add(a);
            }

            foreach (var b in ordering.Before.Where(declared.ContainsKey).Where(b => b != name))
            {
                after[b].Add(name);
            }
        }

        return declared
            .OrderBy(d => d.Key, StringComparer.Ordinal)
            .Select(d => new Unit
            {
                Name = UnitText.Name(d.Key),
                Type = d.Value.Type,
                Owner = UnitText.Name(d.Value.Loop?.Name ?? "target"),
                After = UnitText.List(after[d.Key]),
                Requires = UnitText.List(d.Value.Ordering.Requires.Concat(extraRequires.GetValueOrDefault(d.Key) ?? []).Where(declared.ContainsKey).Where(r => r != d.Key).Distinct()),
                Wants = UnitText.List(d.Value.Ordering.Wants.Where(declared.ContainsKey).Where(w => w != d.Key).Distinct()),
                TimeoutSeconds = d.Value.Loop?.Step.TimeoutSeconds ?? 0,
                MaxAttempts = d.Value.Loop?.Step.MaxAttempts ?? 1,
            })
            .ToList();
    }

    /// <summary>The step of one init container: <c>init:NAME</c>, run by the <c>runtime</c> loop.</summary>
    public static string InitStepName(string container) => InitStepPrefix + container;

    public const string InitStepPrefix = "init:";

    private static bool References(UnitOrdering ordering, string name) =>
        ordering.After.Contains(name) || ordering.Before.Contains(name) || ordering.Requires.Contains(name) || ordering.Wants.Contains(name);
}
