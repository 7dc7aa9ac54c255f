namespace GitOrch.Controller.Ui.Pages;

/// <summary>One config commit: applied or rejected, its author and note, and every diagnostic with its position.</summary>
internal static class CommitPage
{
    public static Html? Render(ControllerService controller, string sha, TimeProvider time)
    {
        if (sha.Length > 64 || controller.Store.FindCommit(sha) is not { } c)
        {
            return null;
        }

        var html = new Html();
        html.Add($"""
            <h1>Commit <span class="mono">{OverviewPage.Short(c.Sha)}</span></h1>
            <div id="live" data-live>
            <section class="card" aria-labelledby="commit-h">
            <h2 id="commit-h">{c.Subject}</h2>
            <dl class="facts">
            <dt>Commit</dt><dd><code>{c.Sha}</code></dd>
            <dt>State</dt><dd>{Badge.Of(c.State)}</dd>
            <dt>Author</dt><dd>{c.AuthorName} &lt;{c.AuthorEmail}&gt; (changer <code>git/{c.AuthorEmail}</code>)</dd>
            <dt>Committed</dt><dd>{c.CommittedAt}</dd>
            <dt>Processed</dt><dd>{OverviewPage.Ago(time, c.ProcessedAt)}</dd>
            <dt>Objects changed</dt><dd>{c.ObjectsChanged}</dd>
            """);
        if (c.Note is not null)
        {
            html.Add($"<dt>Note</dt><dd>{c.Note}</dd>\n");
        }

        html.Add($"</dl>\n</section>\n");
        if (c.Diagnostics.Count > 0)
        {
            html.Add($"""
                <section class="card" aria-labelledby="diag-h">
                <h2 id="diag-h">Diagnostics</h2>
                <p class="muted">A rejected commit changes nothing: the cluster stays on the last good commit. Fix these and push again.</p>
                <table class="stack">
                <thead><tr><th scope="col">Position</th><th scope="col">Severity</th><th scope="col">Code</th><th scope="col">Object</th><th scope="col">Message</th></tr></thead>
                <tbody>
                """);
            foreach (var d in c.Diagnostics)
            {
                html.Add($"""
                    <tr><td data-label="Position"><code>{d.File}:{d.Line}:{d.Column}</code></td><td data-label="Severity">{Badge.Of(d.IsError ? "failed" : "waiting")} {(d.IsError ? "error" : "warning")}</td>
                    <td data-label="Code"><code>{d.Code}</code></td><td data-label="Object">{(d.Object is { } o ? Raw.Of(new Html().Add($"<a href=\"{Links.Object(o)}\">{o.Display}</a>")) : new Raw("-"))}</td>
                    <td data-label="Message">{d.Message}</td></tr>
                    """);
            }

            html.Add($"</tbody>\n</table>\n</section>\n");
        }

        html.Add($"</div>\n");
        return html;
    }
}
