using System.Text.Json.Nodes;
using GitOrch.Core.Manifests;
using GitOrch.History;

namespace GitOrch.Controller.Ui.Pages;

/// <summary>The overview: what the controller follows, pods by phase, nodes and their health, commits applied and rejected.</summary>
internal static class OverviewPage
{
    public static readonly string[] Phases = ["Pending", "Running", "CrashLoop", "Succeeded", "Failed"];

    public static Html Render(ControllerService controller, TimeProvider time)
    {
        var status = controller.Status;
        var pods = controller.Store.List(Kinds.Pod).Select(p => GitOrch.Core.Manifests.ManifestJson.Parse(p.ObjectJson)["status"]?["phase"]?.ToString() ?? "Pending").ToList();
        var html = new Html();
        html.Add($"<h1>Overview</h1>\n<div id=\"live\" data-live>\n<div class=\"grid\">\n");

        html.Add($"""
            <section class="card" aria-labelledby="source-h">
            <h2 id="source-h">Config repo</h2>
            <dl class="facts">
            <dt>Repository</dt><dd><code>{status.Repo}</code></dd>
            <dt>Branch</dt><dd><code>{status.Branch}</code>{(status.Path.Length > 0 ? " — path " + status.Path : string.Empty)}</dd>
            <dt>Head</dt><dd>{CommitLink(status.Head)}</dd>
            <dt>Last applied</dt><dd>{CommitLink(status.LastApplied)}</dd>
            <dt>Last sync</dt><dd>{(status.LastSync is { } s ? Ago(time, s) : "not yet")}</dd>
            </dl>
            """);
        if (status.LastError is not null)
        {
            html.Add($"<p class=\"callout\" role=\"alert\"><strong>Cannot read the config repo:</strong> {status.LastError}</p>\n");
        }

        if (status.MirrorError is not null)
        {
            html.Add($"<p class=\"callout\"><strong>History mirror behind:</strong> {status.MirrorError}</p>\n");
        }

        html.Add($"</section>\n");

        html.Add($"<section class=\"card\" aria-labelledby=\"pods-h\">\n<h2 id=\"pods-h\">Pods by phase</h2>\n<ul class=\"counts\">\n");
        foreach (var phase in Phases.Concat(pods.Where(p => !Phases.Contains(p)).Distinct(StringComparer.Ordinal)))
        {
            var count = pods.Count(p => p == phase);
            html.Add($"<li><a href=\"{Links.Objects(Kinds.Pod, phase: phase)}\" data-phase=\"{phase}\"><span class=\"n\">{count}</span>{phase}</a></li>\n");
        }

        html.Add($"</ul>\n</section>\n</div>\n");

        html.Add($"""
            <section class="card" aria-labelledby="nodes-h">
            <h2 id="nodes-h">Nodes</h2>
            <table class="stack">
            <thead><tr><th scope="col">Node</th><th scope="col">Health</th><th scope="col">Last heartbeat</th><th scope="col">Capacity</th><th scope="col">Pods</th><th scope="col">Labels</th></tr></thead>
            <tbody>
            """);
        var nodes = controller.Nodes.All;
        foreach (var n in nodes)
        {
            var condition = controller.Nodes.Condition(n.Name);
            var seen = controller.Agents.LastSeen(n.Name);
            var assigned = controller.Agents.Assignments(n.Name).Pods.Count;
            html.Add($"""
                <tr><td data-label="Node"><a href="{Links.Objects(Kinds.Pod, node: n.Name)}">{n.Name}</a></td>
                <td data-label="Health">{Badge.Of(condition is null ? (seen is null ? "Waiting" : "Ready") : "Not ready")}{(condition is null ? string.Empty : " " + condition)}</td>
                <td data-label="Heartbeat">{(seen is { } at ? Ago(time, at) : "never")}</td>
                <td data-label="Capacity">{n.CpuMillis}m cpu, {n.MemoryBytes / (1024 * 1024)}Mi</td>
                <td data-label="Pods">{assigned}</td>
                <td data-label="Labels">{string.Join(", ", n.Labels.Select(l => l.Key + "=" + l.Value))}</td></tr>
                """);
        }

        if (nodes.Count == 0)
        {
            html.Add($"<tr><td colspan=\"6\">No nodes yet: start an agent (<code>gitorch agent</code>) or run <code>gitorch up</code>.</td></tr>\n");
        }

        html.Add($"</tbody>\n</table>\n</section>\n");

        html.Add($"""
            <section class="card" aria-labelledby="commits-h">
            <h2 id="commits-h">Commits</h2>
            <table class="stack" id="commits">
            <thead><tr><th scope="col">Commit</th><th scope="col">State</th><th scope="col">Subject</th><th scope="col">Author</th><th scope="col">Processed</th><th scope="col">Objects</th></tr></thead>
            <tbody>
            """);
        var commits = controller.Store.Commits(30);
        foreach (var c in commits)
        {
            html.Add($"""
                <tr data-commit="{c.Sha}" data-state="{c.State}"><td data-label="Commit">{CommitLink(c.Sha)}</td>
                <td data-label="State">{Badge.Of(c.State)}</td>
                <td data-label="Subject">{c.Subject}{Diagnostics(c)}</td>
                <td data-label="Author">{c.AuthorName} <span class="muted">&lt;{c.AuthorEmail}&gt;</span></td>
                <td data-label="Processed">{Ago(time, c.ProcessedAt)}</td>
                <td data-label="Objects">{c.ObjectsChanged}</td></tr>
                """);
        }

        if (commits.Count == 0)
        {
            html.Add($"<tr><td colspan=\"6\">No commits processed yet.</td></tr>\n");
        }

        html.Add($"</tbody>\n</table>\n</section>\n</div>\n");
        return html;
    }

    /// <summary>A rejected commit's diagnostics, each <c>file:line:col</c> linked to the commit's page.</summary>
    internal static Raw Diagnostics(CommitRecord c)
    {
        if (c.Diagnostics.Count == 0)
        {
            return new Raw(string.Empty);
        }

        var html = new Html().Add($"<ul class=\"diag\" aria-label=\"Diagnostics of {Short(c.Sha)}\">\n");
        foreach (var d in c.Diagnostics.Take(20))
        {
            html.Add($"<li><a href=\"{Links.Commit(c.Sha)}\">{d.File}:{d.Line}:{d.Column}</a>: {(d.IsError ? "error" : "warning")} {d.Code}: {d.Message}</li>\n");
        }

        if (c.Diagnostics.Count > 20)
        {
            html.Add($"<li><a href=\"{Links.Commit(c.Sha)}\">and {c.Diagnostics.Count - 20} more</a></li>\n");
        }

        return Raw.Of(html.Add($"</ul>"));
    }

    internal static Raw CommitLink(string? sha) =>
        sha is null ? new Raw("none") : Raw.Of(new Html().Add($"<a class=\"mono\" href=\"{Links.Commit(sha)}\" title=\"{sha}\">{Short(sha)}</a>"));

    internal static string Short(string sha) => sha.Length > 12 ? sha[..12] : sha;

    internal static string Ago(TimeProvider time, DateTimeOffset at)
    {
        var span = time.GetUtcNow() - at;
        var ago = span.TotalSeconds < 60 ? $"{Math.Max(0, (int)span.TotalSeconds)}s ago"
            : span.TotalMinutes < 60 ? $"{(int)span.TotalMinutes}m ago"
            : span.TotalHours < 48 ? $"{(int)span.TotalHours}h ago"
            : $"{(int)span.TotalDays}d ago";
        return $"{at.UtcDateTime:yyyy-MM-dd HH:mm:ss}Z ({ago})";
    }
}
