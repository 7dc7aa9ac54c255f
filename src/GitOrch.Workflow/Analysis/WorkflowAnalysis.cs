using System.Globalization;
using System.Text;
using GitOrch.Core.Workflow;
using GitOrch.Workflow.Model;

namespace GitOrch.Workflow.Analysis;

/// <summary>Answers "why is this object not there yet?" from its transaction.</summary>
public static class WorkflowAnalysis
{
    /// <summary>
    /// The unit that holds the object back. When units failed because a unit they require failed,
    /// it is the root cause of that chain. Otherwise it is the unit in progress that others wait
    /// on: among units that could have started (everything ordered before them finished), a running
    /// step before a waiting one (retry, requeue), the longest first. A failure that nothing requires
    /// does not block (as in systemd, ordering alone does not propagate failure); it is the blocker
    /// only when nothing else is left. Null when every unit is done.
    /// </summary>
    public static Unit? Blocking(Transaction t)
    {
        var ordered = Ordered(t);
        if (ordered.FirstOrDefault(u => u.State == UnitState.DependencyFailed) is { } casualty)
        {
            return RootCause(t, casualty, []);
        }

        var inProgress = ordered
            .Where(u => u.State is UnitState.Running or UnitState.Waiting)
            .Where(u => u.After.Select(t.Find).All(p => p is null || p.State.IsTerminal()))
            .OrderBy(u => u.State == UnitState.Running ? 0 : 1)
            .ThenBy(u => u.Since ?? DateTimeOffset.MaxValue)
            .FirstOrDefault();
        return inProgress ?? ordered.FirstOrDefault(u => u.State is UnitState.Failed or UnitState.TimedOut);
    }

    private static Unit RootCause(Transaction t, Unit unit, HashSet<string> seen)
    {
        if (unit.State != UnitState.DependencyFailed || !seen.Add(unit.Name))
        {
            return unit;
        }

        var cause = unit.Requires.Select(t.Find).FirstOrDefault(r => r is not null && r.State.IsFailure());
        return cause is null ? unit : RootCause(t, cause, seen);
    }

    /// <summary>Units that wait on <paramref name="blocker"/> (ordered after it or requiring it, transitively), in order.</summary>
    public static IReadOnlyList<string> WaitingOn(Transaction t, Unit blocker)
    {
        var waiting = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal) { blocker.Name };
        var frontier = new Queue<string>();
        frontier.Enqueue(blocker.Name);
        while (frontier.Count > 0)
        {
            var name = frontier.Dequeue();
            foreach (var u in Ordered(t).Where(u => (u.After.Contains(name) || u.Requires.Contains(name)) && seen.Add(u.Name)))
            {
                if (u.State != UnitState.Done)
                {
                    waiting.Add(u.Name);
                }

                frontier.Enqueue(u.Name);
            }
        }

        var order = Ordered(t).Select(u => u.Name).ToList();
        return waiting.OrderBy(order.IndexOf).ToList();
    }

    /// <summary>Units in a topological order of their ordering edges (ties by name).</summary>
    public static IReadOnlyList<Unit> Ordered(Transaction t)
    {
        var result = new List<Unit>();
        var placed = new HashSet<string>(StringComparer.Ordinal);
        var remaining = t.Units.OrderBy(u => u.Name, StringComparer.Ordinal).ToList();
        while (remaining.Count > 0)
        {
            var next = remaining.FirstOrDefault(u => u.After.All(a => placed.Contains(a) || t.Find(a) is null)) ?? remaining[0];
            result.Add(next);
            placed.Add(next.Name);
            remaining.Remove(next);
        }

        return result;
    }

    public static WorkflowReport Report(Transaction t, Func<string, IReadOnlyList<StepLog>> logsOf)
    {
        var blocker = Blocking(t);
        return new WorkflowReport(
            t.Object.Key, t.Id, t.Commit, t.State, t.CreatedAt,
            blocker is null ? null : UnitReport.From(blocker, logsOf(blocker.Name)),
            blocker is null ? [] : WaitingOn(t, blocker),
            Ordered(t).Select(u => UnitReport.From(u, logsOf(u.Name))).ToList());
    }

    /// <summary>
    /// The long pole, systemd-analyze style: from the unit that finished last, back through the
    /// predecessor that finished last, each line <c>unit @start +duration</c> relative to the transaction's start.
    /// </summary>
    public static IReadOnlyList<(Unit Unit, TimeSpan Start, TimeSpan Duration)> CriticalChain(Transaction t)
    {
        var finished = t.Units.Where(u => u.EndedAt is not null).ToList();
        var last = t.Units.FirstOrDefault(u => u.Name == BuiltInTargets.Running && u.EndedAt is not null)
            ?? finished.OrderByDescending(u => u.EndedAt).FirstOrDefault();
        var chain = new List<(Unit, TimeSpan, TimeSpan)>();
        for (var unit = last; unit is not null;)
        {
            var start = (unit.StartedAt ?? t.CreatedAt) - t.CreatedAt;
            var duration = (unit.EndedAt ?? unit.StartedAt ?? t.CreatedAt) - (unit.StartedAt ?? t.CreatedAt);
            chain.Add((unit, start, duration));
            unit = unit.After.Select(t.Find).Where(p => p?.EndedAt is not null).OrderByDescending(p => p!.EndedAt).FirstOrDefault();
        }

        chain.Reverse();
        return chain;
    }

    /// <summary>The graph in Graphviz dot: steps as boxes, targets as ellipses, coloured by state.</summary>
    public static string Dot(Transaction t)
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"digraph \"{t.Object.Key}\" {{\n");
        text.Append("  rankdir=LR;\n  node [fontname=\"Helvetica\", fontsize=11];\n  edge [fontname=\"Helvetica\", fontsize=9];\n");
        text.Append(CultureInfo.InvariantCulture, $"  label=\"{t.Object.Key} — transaction {t.Id} ({t.State})\"; labelloc=t;\n");
        foreach (var u in Ordered(t))
        {
            var shape = u.Type == UnitType.Target ? "ellipse" : "box";
            var color = u.State switch
            {
                UnitState.Done => "palegreen",
                UnitState.Running => "lightskyblue",
                UnitState.Waiting => "lightyellow",
                UnitState.Skipped => "lightgrey",
                _ => "lightpink",
            };
            var label = u.Type == UnitType.Target ? u.Name : $"{u.Name}\\n({u.State.ToText()})";
            text.Append(CultureInfo.InvariantCulture, $"  \"{u.Name}\" [shape={shape}, style=filled, fillcolor={color}, label=\"{label}\"];\n");
        }

        foreach (var u in t.Units)
        {
            foreach (var a in u.After)
            {
                text.Append(CultureInfo.InvariantCulture, $"  \"{a}\" -> \"{u.Name}\";\n");
            }

            // Every requirement is drawn, also one that coincides with an ordering edge: ordering and
            // requirement are orthogonal, and the graph shows both.
            foreach (var r in u.Requires)
            {
                text.Append(CultureInfo.InvariantCulture, $"  \"{u.Name}\" -> \"{r}\" [style=dashed, label=\"requires\", constraint=false];\n");
            }

            foreach (var w in u.Wants)
            {
                text.Append(CultureInfo.InvariantCulture, $"  \"{u.Name}\" -> \"{w}\" [style=dotted, label=\"wants\", constraint=false];\n");
            }
        }

        text.Append("}\n");
        return text.ToString();
    }
}
