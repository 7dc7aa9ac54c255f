using System.Globalization;
using GitOrch.Workflow.Analysis;

namespace GitOrch.Controller.Ui;

/// <summary>
/// The workflow graph of <c>gitorch graph</c>, drawn as inline SVG on the server: units in columns
/// by their ordering (left to right), steps as boxes and targets as rounded boxes, coloured by
/// state; ordering edges solid, requirement edges dashed (beside the solid edge when a unit is both ordered after and requires another), wants dotted; the blocking unit outlined
/// and flagged. Every label is encoded (unit names come from manifests).
/// </summary>
internal static class WorkflowSvg
{
    private const int RowHeight = 80;
    private const int BoxHeight = 48;
    private const int ColumnGap = 64;
    private const int Margin = 16;

    public static Raw Render(WorkflowReport report)
    {
        var units = report.Units;
        var byName = units.ToDictionary(u => u.Name, StringComparer.Ordinal);
        var layer = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var u in units)
        {
            // Units come in a topological order of their ordering edges, so predecessors have their layer.
            layer[u.Name] = u.After.Where(layer.ContainsKey).Select(a => layer[a] + 1).DefaultIfEmpty(0).Max();
        }

        var columns = units.GroupBy(u => layer[u.Name]).OrderBy(g => g.Key).Select(g => g.ToList()).ToList();
        var widths = columns.Select(c => c.Max(u => BoxWidth(u))).ToList();
        var positions = new Dictionary<string, (double X, double Y, double W)>(StringComparer.Ordinal);
        double x = Margin;
        var tallest = columns.Max(c => c.Count);
        for (var i = 0; i < columns.Count; i++)
        {
            var offset = (tallest - columns[i].Count) * RowHeight / 2.0;
            for (var row = 0; row < columns[i].Count; row++)
            {
                positions[columns[i][row].Name] = (x, Margin + 20 + offset + (row * RowHeight), widths[i]);
            }

            x += widths[i] + ColumnGap;
        }

        var width = x - ColumnGap + Margin;
        var height = Margin + 20 + (tallest * RowHeight) + Margin;
        var blocking = report.Blocking?.Name;
        var svg = new Html();
        svg.Add($"""
            <svg xmlns="http://www.w3.org/2000/svg" role="img" aria-labelledby="graph-title graph-desc" width="{N(width)}" height="{N(height)}" viewBox="0 0 {N(width)} {N(height)}">
            <title id="graph-title">Workflow of {report.Object}, transaction {report.Transaction} ({report.State})</title>
            <desc id="graph-desc">{Describe(report)}</desc>
            <defs>
            <marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path class="arrow" d="M0,0 L10,5 L0,10 z"/></marker>
            <marker id="arrow-req" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path class="arrow-req" d="M0,0 L10,5 L0,10 z"/></marker>
            </defs>
            """);

        foreach (var u in units)
        {
            var to = positions[u.Name];
            foreach (var a in u.After.Where(positions.ContainsKey))
            {
                svg.Add($"<path class=\"order\" data-from=\"{a}\" data-to=\"{u.Name}\" marker-end=\"url(#arrow)\" d=\"{Curve(positions[a], to, 0)}\"/>\n");
                if (u.Requires.Contains(a))
                {
                    // Ordered after it and requiring it (the usual pair): a dashed twin beside the solid ordering edge.
                    svg.Add($"<path class=\"requires\" data-from=\"{u.Name}\" data-to=\"{a}\" d=\"{Curve(positions[a], to, 5)}\"/>\n");
                }
            }

            foreach (var r in u.Requires.Where(r => positions.ContainsKey(r) && !u.After.Contains(r)))
            {
                svg.Add($"<path class=\"requires\" data-from=\"{u.Name}\" data-to=\"{r}\" marker-end=\"url(#arrow-req)\" d=\"{Arc(to, positions[r])}\"/>\n");
            }

            foreach (var w in u.Wants.Where(w => positions.ContainsKey(w) && !u.After.Contains(w)))
            {
                svg.Add($"<path class=\"wants\" data-from=\"{u.Name}\" data-to=\"{w}\" marker-end=\"url(#arrow-req)\" d=\"{Arc(to, positions[w])}\"/>\n");
            }
        }

        foreach (var u in units)
        {
            var (ux, uy, uw) = positions[u.Name];
            var isBlocking = u.Name == blocking;
            var css = $"unit s-{u.State}{(isBlocking ? " blocking" : string.Empty)}";
            var radius = u.Type == "target" ? BoxHeight / 2 : 4;
            svg.Add($"""
                <g class="{css}" data-unit="{u.Name}" data-state="{u.State}">
                <title>{u.Type} {u.Name}: {u.State}{(u.Type == "step" ? " (loop " + u.Owner + ")" : string.Empty)}{(isBlocking ? " — blocking" : string.Empty)}</title>
                <rect x="{N(ux)}" y="{N(uy)}" width="{N(uw)}" height="{BoxHeight}" rx="{radius}"/>
                <text x="{N(ux + (uw / 2))}" y="{N(uy + 20)}" text-anchor="middle">{u.Name}</text>
                <text class="state" x="{N(ux + (uw / 2))}" y="{N(uy + 37)}" text-anchor="middle">{u.State}</text>
                """);
            if (isBlocking)
            {
                svg.Add($"<text class=\"flag\" x=\"{N(ux + (uw / 2))}\" y=\"{N(uy - 6)}\" text-anchor=\"middle\">BLOCKING</text>\n");
            }

            svg.Add($"</g>\n");
        }

        svg.Add($"</svg>");
        return Raw.Of(svg);
    }

    private static double BoxWidth(UnitReport u) => Math.Clamp((Math.Max(u.Name.Length, u.State.Length + 2) * 7.2) + 24, 90, 320);

    private static string Curve((double X, double Y, double W) from, (double X, double Y, double W) to, double offset)
    {
        var (x1, y1) = (from.X + from.W, from.Y + (BoxHeight / 2.0) + offset);
        var (x2, y2) = (to.X - (offset > 0 ? 6 : 0), to.Y + (BoxHeight / 2.0) + offset);
        var mid = (x1 + x2) / 2;
        return string.Create(CultureInfo.InvariantCulture, $"M{x1:0.#},{y1:0.#} C{mid:0.#},{y1:0.#} {mid:0.#},{y2:0.#} {x2:0.#},{y2:0.#}");
    }

    /// <summary>A requirement: from the bottom of the unit to the bottom of what it requires, bowed below both.</summary>
    private static string Arc((double X, double Y, double W) from, (double X, double Y, double W) to)
    {
        var (x1, y1) = (from.X + (from.W / 2), from.Y + BoxHeight);
        var (x2, y2) = (to.X + (to.W / 2), to.Y + BoxHeight);
        var dip = Math.Max(y1, y2) + 22;
        return string.Create(CultureInfo.InvariantCulture, $"M{x1:0.#},{y1:0.#} C{x1:0.#},{dip:0.#} {x2:0.#},{dip:0.#} {x2:0.#},{y2:0.#}");
    }

    private static string Describe(WorkflowReport report) =>
        report.Blocking is { } b
            ? $"{report.Units.Count} units; blocked by {b.Type} {b.Name} ({b.State}). Solid arrows are ordering, dashed lines are requirements."
            : $"{report.Units.Count} units; nothing blocks. Solid arrows are ordering, dashed lines are requirements.";

    private static string N(double value) => value.ToString("0.#", CultureInfo.InvariantCulture);
}
