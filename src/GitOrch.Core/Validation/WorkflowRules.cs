using GitOrch.Core.Diagnostics;
using GitOrch.Core.Loading;
using GitOrch.Core.Manifests;
using GitOrch.Core.Ownership;
using GitOrch.Core.Workflow;

namespace GitOrch.Core.Validation;

/// <summary>
/// The workflow graph must be well-formed (systemd <c>verify</c> semantics): every unit a target or
/// step names exists, names are unique, and ordering has no cycle.
/// </summary>
internal static class WorkflowRules
{
    private static readonly string[] Relations = ["before", "after", "requires", "wants"];

    public static void Check(ValidationContext context)
    {
        var units = context.Units()
            .Where(u => u.Type == UnitType.Target || u.IsBuiltIn || !BuiltInLoops.IsBuiltIn(u.Name))
            .ToList();
        var byName = new Dictionary<string, UnitDeclaration>(StringComparer.Ordinal);
        foreach (var unit in units)
        {
            if (byName.TryGetValue(unit.Name, out var other) && other.Type != unit.Type)
            {
                var target = unit.Type == UnitType.Target ? unit : other;
                if (target.Source is not null)
                {
                    context.Error(target.Source.At("metadata", "name"), DiagnosticCodes.ReservedUnitName,
                        $"a target and a control loop are both named \"{unit.Name}\"; rename one (units share one namespace)", target.Source);
                }

                continue;
            }

            byName.TryAdd(unit.Name, unit);
        }

        foreach (var unit in units.Where(u => u.Source is not null))
        {
            CheckReferences(context, unit, byName);
        }

        CheckCycles(context, byName);
    }

    private static void CheckReferences(ValidationContext context, UnitDeclaration unit, Dictionary<string, UnitDeclaration> byName)
    {
        object[] basePath = unit.Type == UnitType.Step ? ["spec", "step"] : ["spec"];

        // The lists as written in Git (a built-in target extended from Git also has built-in entries).
        var written = unit.Source!.Object switch
        {
            Target t => t.Spec.ToOrdering(),
            ControlLoop l => l.Spec.Step.ToOrdering(),
            _ => unit.Ordering,
        };
        foreach (var relation in Relations)
        {
            var names = Get(written, relation);
            for (var i = 0; i < names.Count; i++)
            {
                var index = i;
                SourceLocation At() => unit.Source!.ValueAt([.. basePath, relation, index]); // Only for a finding (see OwnershipRules).
                var field = ValidationContext.Render([.. basePath, relation, i]);
                if (names[i] == unit.Name)
                {
                    context.Error(At(), DiagnosticCodes.SelfReference, $"{field} names the unit itself; remove it", unit.Source);
                }
                else if (!byName.ContainsKey(names[i]))
                {
                    var suggestion = Schema.SchemaValidator.Suggest(names[i], byName.Keys.ToList());
                    var hint = suggestion is not null ? $"did you mean \"{suggestion}\"?" : "define a Target with that name or fix the reference";
                    context.Error(At(), DiagnosticCodes.MissingUnit,
                        $"{field} names \"{names[i]}\", which is neither a target nor a control loop; {hint}", unit.Source);
                }
            }
        }
    }

    private static void CheckCycles(ValidationContext context, Dictionary<string, UnitDeclaration> byName)
    {
        // "A after B" and "B before A" are the same edge B → A: B must finish before A starts.
        var edges = byName.Keys.ToDictionary(n => n, _ => new HashSet<string>(StringComparer.Ordinal), StringComparer.Ordinal);
        foreach (var unit in byName.Values)
        {
            foreach (var after in unit.Ordering.After.Where(byName.ContainsKey).Where(a => a != unit.Name))
            {
                edges[after].Add(unit.Name);
            }

            foreach (var before in unit.Ordering.Before.Where(byName.ContainsKey).Where(b => b != unit.Name))
            {
                edges[unit.Name].Add(before);
            }
        }

        foreach (var cycle in Graphs.FindCycles(byName.Keys, n => edges[n]))
        {
            var reportOn = cycle.Select(n => byName[n]).FirstOrDefault(u => u.Source is not null);
            if (reportOn?.Source is not { } source)
            {
                continue;
            }

            object[] at = reportOn.Type == UnitType.Step ? ["spec", "step"] : ["spec"];
            context.Error(source.At(at), DiagnosticCodes.OrderingCycle,
                $"ordering cycle: {string.Join(" → ", cycle.Append(cycle[0]))} (each must start after the one before it); remove one of the before/after entries",
                source);
        }
    }

    private static IReadOnlyList<string> Get(UnitOrdering ordering, string relation) => relation switch
    {
        "before" => ordering.Before,
        "after" => ordering.After,
        "requires" => ordering.Requires,
        _ => ordering.Wants,
    };
}
