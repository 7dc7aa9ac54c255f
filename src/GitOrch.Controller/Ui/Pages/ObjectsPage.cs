using GitOrch.Controller.Api;
using GitOrch.Core.Manifests;

namespace GitOrch.Controller.Ui.Pages;

/// <summary>Every current object, filterable by kind, namespace, phase and node (a GET form: the filter is in the URL).</summary>
internal static class ObjectsPage
{
    public static Html Render(ControllerService controller, string? kind, string? ns, string? phase, string? node, TimeProvider time)
    {
        var all = controller.Store.List().Select(ApiEndpoints.Summary).ToList();
        var resolved = kind is { Length: > 0 } ? Kinds.Resolve(kind) : null;
        var shown = all
            .Where(o => resolved is null || o.Kind == resolved)
            .Where(o => string.IsNullOrEmpty(ns) || o.Namespace == ns)
            .Where(o => string.IsNullOrEmpty(phase) || (o.Phase ?? (o.Kind == Kinds.Pod ? "Pending" : null)) == phase)
            .Where(o => string.IsNullOrEmpty(node) || o.Node == node)
            .OrderBy(o => o.Kind, StringComparer.Ordinal).ThenBy(o => o.Namespace, StringComparer.Ordinal).ThenBy(o => o.Name, StringComparer.Ordinal)
            .ToList();

        var html = new Html();
        html.Add($"""
            <h1>Objects</h1>
            <section class="card" aria-labelledby="filter-h">
            <h2 id="filter-h">Filter</h2>
            <form class="filters" method="get" action="/ui/objects" role="search">
            {Select("kind", "Kind", Kinds.All, resolved)}
            {Select("namespace", "Namespace", all.Select(o => o.Namespace).Where(n => n.Length > 0), ns)}
            {Select("phase", "Phase", OverviewPage.Phases.Concat(all.Select(o => o.Phase).OfType<string>()), phase)}
            {Select("node", "Node", controller.Nodes.All.Select(n => n.Name).Concat(all.Select(o => o.Node).OfType<string>()), node)}
            <button class="primary" type="submit">Filter</button>
            <a href="/ui/objects">Clear</a>
            </form>
            </section>
            <div id="live" data-live>
            <section class="card" aria-labelledby="objects-h">
            <h2 id="objects-h">{shown.Count} of {all.Count} objects</h2>
            <table class="stack" id="objects">
            <thead><tr><th scope="col">Kind</th><th scope="col">Namespace</th><th scope="col">Name</th><th scope="col">Phase</th><th scope="col">Node</th><th scope="col">Restarts</th><th scope="col">Version</th><th scope="col">Last changer</th><th scope="col">Updated</th></tr></thead>
            <tbody>
            """);
        foreach (var o in shown)
        {
            var obj = new Core.Diagnostics.ObjectRef(o.Kind, o.Namespace, o.Name);
            html.Add($"""
                <tr data-object="{obj.Key}"><td data-label="Kind">{o.Kind}</td><td data-label="Namespace">{(o.Namespace.Length > 0 ? o.Namespace : "-")}</td>
                <td data-label="Name"><a href="{Links.Object(obj)}">{o.Name}</a>{(o.Kind is Kinds.Pod or Kinds.PinnedDeployment ? Raw.Of(new Html().Add($" · <a href=\"{Links.Why(obj)}\">why</a>")) : new Raw(string.Empty))}</td>
                <td data-label="Phase">{(o.Kind == Kinds.Pod || o.Phase is not null ? Badge.Of(o.Phase) : new Raw("-"))}</td>
                <td data-label="Node">{o.Node ?? "-"}</td><td data-label="Restarts">{o.Restarts}</td><td data-label="Version">{o.Version}</td>
                <td data-label="Last changer"><code>{o.LastChanger}</code></td><td data-label="Updated">{OverviewPage.Ago(time, o.UpdatedAt)}</td></tr>
                """);
        }

        if (shown.Count == 0)
        {
            html.Add($"<tr><td colspan=\"9\">No object matches the filter.</td></tr>\n");
        }

        html.Add($"</tbody>\n</table>\n</section>\n</div>\n");
        return html;
    }

    private static Raw Select(string name, string label, IEnumerable<string> values, string? selected)
    {
        var html = new Html().Add($"<div class=\"field\"><label for=\"f-{name}\">{label}</label><select id=\"f-{name}\" name=\"{name}\">\n<option value=\"\">All</option>\n");
        foreach (var v in values.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal))
        {
            html.Add($"<option value=\"{v}\"{new Raw(v == selected ? " selected" : string.Empty)}>{v}</option>\n");
        }

        return Raw.Of(html.Add($"</select></div>"));
    }
}
