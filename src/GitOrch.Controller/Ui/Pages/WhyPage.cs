using System.Text.Json.Nodes;
using GitOrch.Core.Diagnostics;
using GitOrch.Core.Manifests;
using GitOrch.Workflow.Analysis;

namespace GitOrch.Controller.Ui.Pages;

/// <summary>
/// <c>gitorch why</c> as a page: the workflow graph (blocking unit highlighted), the blocking unit
/// first with its message, log lines and what waits on it, then every unit's state, times, owner
/// and last log lines, and for a pod that crashes, its containers' last output.
/// </summary>
internal static class WhyPage
{
    public static async Task<Html?> RenderAsync(ControllerService controller, ObjectRef obj, TimeProvider time, CancellationToken ct)
    {
        if (controller.Store.Get(obj) is not { } stored)
        {
            return null;
        }

        var html = new Html();
        html.Add($"""
            <h1>Why: {obj.Kind} {(obj.Namespace.Length > 0 ? obj.Namespace + "/" : string.Empty)}{obj.Name}</h1>
            <p><a href="{Links.Object(obj)}">Spec, history, diff and blame of this object</a></p>
            <div id="live" data-live>
            """);
        var transaction = controller.Workflows.Engine.Current(obj);
        if (transaction is null)
        {
            html.Add($"<section class=\"card\"><p>{obj.Display} has no workflow{(obj.Kind is Kinds.Pod or Kinds.PinnedDeployment ? " yet; it gets one when the controller applies it" : ": only pods and PinnedDeployments have workflows")}.</p></section>\n</div>\n");
            return html;
        }

        var logs = controller.Workflows.Engine.Logs(obj, 2000, transaction.Id);
        var report = WorkflowAnalysis.Report(transaction, step => logs.Where(l => l.Step == step).TakeLast(5).ToList());
        var status = GitOrch.Core.Manifests.ManifestJson.Parse(stored.ObjectJson)["status"] as JsonObject;
        var phase = status?["phase"]?.ToString() ?? (obj.Kind == Kinds.Pod ? "Pending" : null);
        var running = obj.Kind == Kinds.Pod ? phase == "Running" : report.State == "done";
        var node = status?["nodeName"]?.ToString();
        var restarts = (int)(status?["restarts"].AsInteger() ?? 0);
        var now = time.GetUtcNow();

        var headline = obj.Kind != Kinds.Pod
            ? (running ? $"{obj.Display} is done: every pod runs its version." : $"{obj.Display} is rolling out.")
            : running
            ? $"{obj.Display} is running{(node is null ? string.Empty : " on " + node)}{(restarts > 0 ? $", {restarts} restart(s)" : string.Empty)}."
            : $"{obj.Display} is not running (phase {phase}{(node is null ? string.Empty : " on " + node)}{(restarts > 0 ? $", {restarts} restart(s)" : string.Empty)}).";
        html.Add($"<section class=\"callout{new Raw(running ? " ok" : string.Empty)}\" aria-labelledby=\"verdict-h\" id=\"verdict\">\n<h2 id=\"verdict-h\">{headline}</h2>\n");
        html.Add($"<p>Transaction {report.Transaction}{(report.Commit is null ? string.Empty : " for commit ")}{OverviewPage.CommitLink(report.Commit)}: {report.State}, started {OverviewPage.Ago(time, report.CreatedAt)}.</p>\n");
        if (!running && report.Blocking is { } b)
        {
            html.Add($"""
                <p id="blocking">Blocked by {b.Type} <strong>{b.Name}</strong>{(b.Type == "step" ? " (loop " + b.Owner + ")" : string.Empty)}: {Badge.Of(b.State)} for {Duration(now - (b.Since ?? now))}{(b.Attempts > 0 ? $", attempt {b.Attempts}" + (b.Failures > 0 ? $" ({b.Failures} of {b.MaxAttempts} allowed failures)" : string.Empty) : string.Empty)}.</p>
                """);
            if (b.Message is not null)
            {
                html.Add($"<p><strong>Message:</strong> {b.Message}</p>\n");
            }

            if (report.WaitingOnBlocking.Count > 0)
            {
                html.Add($"<p><strong>Waiting on it:</strong> {string.Join(" → ", report.WaitingOnBlocking)}</p>\n");
            }

            LogList(html, b);
        }
        else if (running)
        {
            foreach (var failed in report.Units.Where(u => u.State is "failed" or "timed-out"))
            {
                html.Add($"<p>Note: {failed.Type} {failed.Name} is {failed.State} ({failed.Message}); nothing requires it, so it does not hold the object back.</p>\n");
            }
        }

        html.Add($"</section>\n");

        html.Add($"""
            <section class="card graph" aria-labelledby="graph-h">
            <h2 id="graph-h">Workflow graph</h2>
            <div class="scroll" tabindex="0" role="region" aria-label="Workflow graph, scrolls sideways on small screens">
            {WorkflowSvg.Render(report)}
            </div>
            <ul class="legend" aria-label="Legend">
            <li><svg width="34" height="10" aria-hidden="true"><path class="order" d="M0,5 L34,5"/></svg> ordering (after → before)</li>
            <li><svg width="34" height="10" aria-hidden="true"><path class="requires" d="M0,5 L34,5"/></svg> requirement (beside the ordering edge when both)</li>
            <li><svg width="34" height="10" aria-hidden="true"><path class="wants" d="M0,5 L34,5"/></svg> wants</li>
            <li>red outline: the blocking unit</li>
            </ul>
            </section>
            """);

        html.Add($"""
            <section class="card" aria-labelledby="units-h">
            <h2 id="units-h">Steps and targets</h2>
            <table class="stack" id="units">
            <thead><tr><th scope="col">Unit</th><th scope="col">State</th><th scope="col">Started</th><th scope="col">Took</th><th scope="col">Owner</th><th scope="col">Attempts</th><th scope="col">Message and last log lines</th></tr></thead>
            <tbody>
            """);
        foreach (var u in report.Units)
        {
            var blocking = u.Name == report.Blocking?.Name && !running;
            html.Add($"""
                <tr data-unit="{u.Name}"{new Raw(blocking ? " class=\"blocking-row\" aria-current=\"step\"" : string.Empty)}><th scope="row" data-label="Unit">{u.Name} <span class="muted">({u.Type})</span>{(blocking ? " — blocking" : string.Empty)}</th>
                <td data-label="State">{Badge.Of(u.State)}</td>
                <td data-label="Started">{(u.StartedAt is { } s ? s.UtcDateTime.ToString("HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture) : "-")}</td>
                <td data-label="Took">{(u.StartedAt is { } st ? Duration((u.EndedAt ?? now) - st) : "-")}</td>
                <td data-label="Owner">{(u.Type == "target" ? "target" : u.Owner)}</td>
                <td data-label="Attempts">{u.Attempts}</td>
                <td data-label="Message"><div class="cell">{u.Message ?? string.Empty}
                """);
            LogList(html, u);
            html.Add($"</div></td></tr>\n");
        }

        html.Add($"</tbody>\n</table>\n</section>\n");

        if (obj.Kind == Kinds.Pod)
        {
            await RenderContainersAsync(html, controller, obj, status, phase, restarts, ct);
        }

        html.Add($"</div>\n");
        return html;
    }

    private static async Task RenderContainersAsync(Html html, ControllerService controller, ObjectRef obj, JsonObject? status, string? phase, int restarts, CancellationToken ct)
    {
        var containers = status?["containers"] as JsonArray ?? [];
        if (containers.Count == 0 && phase is not ("CrashLoop" or "Failed"))
        {
            return;
        }

        html.Add($"""
            <section class="card" aria-labelledby="containers-h">
            <h2 id="containers-h">Containers</h2>
            <table class="stack">
            <thead><tr><th scope="col">Container</th><th scope="col">State</th><th scope="col">Restarts</th><th scope="col">Last exit code</th></tr></thead>
            <tbody>
            """);
        foreach (var c in containers.OfType<JsonObject>())
        {
            html.Add($"<tr><td data-label=\"Container\">{c["name"]?.ToString()}</td><td data-label=\"State\">{c["state"]?.ToString()}</td><td data-label=\"Restarts\">{c["restarts"]?.ToString()}</td><td data-label=\"Last exit code\">{c["exitCode"]?.ToString() ?? "-"}</td></tr>\n");
        }

        html.Add($"</tbody>\n</table>\n");
        if (phase is "CrashLoop" or "Failed" || restarts > 0)
        {
            foreach (var c in containers.OfType<JsonObject>())
            {
                var name = c["name"]?.ToString();
                if (name is null)
                {
                    continue;
                }

                var output = c["lastOutput"] is JsonArray lines ? string.Join('\n', lines.Select(l => l?.ToString())) : await ContainerOutput.TailAsync(controller, obj, name, 20, ct);
                html.Add($"<h3>Last output of {name}</h3>\n<pre class=\"wrap\" id=\"output-{name}\">{output ?? "(the node did not send any output)"}</pre>\n");
            }
        }

        html.Add($"</section>\n");
    }

    private static void LogList(Html html, UnitReport u)
    {
        if (u.LastLogs.Count == 0)
        {
            return;
        }

        html.Add($"<ul class=\"logs\" aria-label=\"Last log lines of {u.Name}\">\n");
        foreach (var log in u.LastLogs)
        {
            html.Add($"<li>{log.Time.UtcDateTime.ToString("HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture)} {log.Level} {log.Message}</li>\n");
        }

        html.Add($"</ul>\n");
    }

    internal static string Duration(TimeSpan span) =>
        span.TotalSeconds < 60 ? span.TotalSeconds.ToString("0.0", System.Globalization.CultureInfo.InvariantCulture) + "s"
        : span.TotalMinutes < 60 ? $"{(int)span.TotalMinutes}m{span.Seconds:00}s"
        : $"{(int)span.TotalHours}h{span.Minutes:00}m";
}
