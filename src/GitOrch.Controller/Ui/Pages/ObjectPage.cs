using System.Text;
using System.Text.Json.Nodes;
using GitOrch.Controller.Api;
using GitOrch.Core.Diagnostics;
using GitOrch.Core.Manifests;
using GitOrch.Core.Rendering;
using GitOrch.History;

namespace GitOrch.Controller.Ui.Pages;

/// <summary>
/// One object: its spec and status, its history (filtered by changer, to include or exclude),
/// a diff between any two versions, the changer that last set each field (blame), and the exact
/// <c>gitorch rollback</c> command for each version. Viewers see environment values masked.
/// </summary>
internal static class ObjectPage
{
    public sealed record Query(string? Changer, string? Mode, int? From, int? To);

    public static Html? Render(ControllerService controller, ObjectRef obj, Query query, bool maskSecrets, TimeProvider time)
    {
        if (controller.Store.Get(obj) is not { } stored)
        {
            return null;
        }

        var current = GitOrch.Core.Manifests.ManifestJson.Parse(stored.ObjectJson);
        var summary = ApiEndpoints.Summary(stored);
        var all = controller.Store.History(obj);
        var changer = string.IsNullOrWhiteSpace(query.Changer) ? null : query.Changer.Trim();
        var exclude = query.Mode == "exclude";
        var history = changer is null ? all : controller.Store.History(obj, exclude ? null : changer, exclude ? changer : null);
        var html = new Html();
        html.Add($"""
            <h1>{obj.Kind} {(obj.Namespace.Length > 0 ? obj.Namespace + "/" : string.Empty)}{obj.Name}</h1>
            <nav aria-label="On this page"><p><a href="#spec-h">Spec and status</a> · <a href="#history-h">History</a> · <a href="#diff-h">Diff</a> · <a href="#blame-h">Blame</a> · <a href="#rollback-h">Rollback</a>{(obj.Kind is Kinds.Pod or Kinds.PinnedDeployment ? Raw.Of(new Html().Add($" · <a href=\"{Links.Why(obj)}\">Why (workflow)</a>")) : new Raw(string.Empty))}</p></nav>
            <div id="live" data-live>
            <section class="card" aria-labelledby="summary-h">
            <h2 id="summary-h">Summary</h2>
            <dl class="facts">
            <dt>Version</dt><dd>{stored.Version}{(stored.Deleted ? " (deleted)" : string.Empty)}</dd>
            <dt>Last changer</dt><dd><code>{stored.LastChanger}</code>, {OverviewPage.Ago(time, stored.UpdatedAt)}</dd>
            """);
        if (obj.Kind == Kinds.Pod)
        {
            html.Add($"<dt>Phase</dt><dd>{Badge.Of(summary.Phase)}{(summary.Restarts > 0 ? $" after {summary.Restarts} restart(s)" : string.Empty)}</dd>\n<dt>Node</dt><dd>{summary.Node ?? "not placed yet"}</dd>\n");
        }

        html.Add($"<dt>File</dt><dd><code>{stored.File ?? "-"}</code></dd>\n</dl>\n</section>\n");

        var shown = maskSecrets ? SecretMask.Mask(current) : current;
        html.Add($"""
            <section class="card" aria-labelledby="spec-h">
            <h2 id="spec-h">Spec and status</h2>
            {(maskSecrets ? Raw.Of(new Html().Add($"<p class=\"muted\">Environment values are hidden from viewers.</p>")) : new Raw(string.Empty))}
            <pre id="object-yaml">{YamlRenderer.Render(shown)}</pre>
            </section>
            """);

        // History, with the changer filter.
        var changers = all.Select(v => v.Changer).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        html.Add($"""
            <section class="card" aria-labelledby="history-h">
            <h2 id="history-h">History</h2>
            <form class="filters" method="get" action="{Links.Object(obj)}#history-h" role="search" aria-label="Filter the history by changer">
            <div class="field"><label for="f-changer">Changer</label><input id="f-changer" name="changer" list="changers" value="{changer}" placeholder="git/alice@example.com" size="28"></div>
            <datalist id="changers">
            """);
        foreach (var c in changers)
        {
            html.Add($"<option value=\"{c}\"></option>\n");
        }

        html.Add($"""
            </datalist>
            <div class="field"><label for="f-mode">Show</label><select id="f-mode" name="mode"><option value="include"{Selected(!exclude)}>only this changer</option><option value="exclude"{Selected(exclude)}>all but this changer</option></select></div>
            <button class="primary" type="submit">Filter</button>
            <a href="{Links.Object(obj)}#history-h">Clear</a>
            </form>
            <table class="stack" id="history">
            <caption>{history.Count} of {all.Count} versions{(changer is null ? string.Empty : exclude ? ", without changer " + changer : ", by changer " + changer)}</caption>
            <thead><tr><th scope="col">Version</th><th scope="col">Changer</th><th scope="col">Kind</th><th scope="col">Source commit</th><th scope="col">When</th><th scope="col">Fields</th></tr></thead>
            <tbody>
            """);
        foreach (var v in history.Reverse())
        {
            html.Add($"""
                <tr data-version="{v.Version}" data-changer="{v.Changer}"><td data-label="Version">{v.Version}{(v.Deleted ? " (deleted)" : string.Empty)}</td><td data-label="Changer"><code>{v.Changer}</code></td>
                <td data-label="Kind">{v.Kind.ToText()}</td><td data-label="Source commit">{OverviewPage.CommitLink(v.SourceCommit)}</td>
                <td data-label="When">{OverviewPage.Ago(time, v.CreatedAt)}</td><td data-label="Fields"><code>{string.Join(", ", v.Fields)}</code></td></tr>
                """);
        }

        html.Add($"</tbody>\n</table>\n</section>\n");

        RenderDiff(html, controller, obj, all, query, maskSecrets);
        RenderBlame(html, obj, all, current, maskSecrets);
        RenderRollback(html, obj, all);
        html.Add($"</div>\n");
        return html;
    }

    private static void RenderDiff(Html html, ControllerService controller, ObjectRef obj, IReadOnlyList<VersionRecord> all, Query query, bool mask)
    {
        var latest = all.Count > 0 ? all[^1].Version : 0;
        var to = query.To ?? latest;
        var from = query.From ?? (all.Count > 1 ? all[^2].Version : latest);
        html.Add($"""
            <section class="card" aria-labelledby="diff-h">
            <h2 id="diff-h">Diff</h2>
            <form class="filters" method="get" action="{Links.Object(obj)}#diff-h" aria-label="Compare two versions">
            {VersionSelect("from", "From version", all, from)}
            {VersionSelect("to", "To version", all, to)}
            <button class="primary" type="submit">Compare</button>
            </form>
            """);
        var a = controller.Store.Version(obj, from);
        var b = controller.Store.Version(obj, to);
        if (a is null || b is null)
        {
            html.Add($"<p role=\"alert\">{obj.Display} has no version {(a is null ? from : to)} (versions run to {latest}; older ones may have been pruned by history.keepVersions).</p>\n</section>\n");
            return;
        }

        var before = a.ObjectJson is null ? null : GitOrch.Core.Manifests.ManifestJson.ParseToken(a.ObjectJson);
        var after = b.ObjectJson is null ? null : GitOrch.Core.Manifests.ManifestJson.ParseToken(b.ObjectJson);
        if (mask)
        {
            after = after is null ? null : SecretMask.Mask(after, before);
            before = before is null ? null : SecretMask.Mask(before);
        }

        var diff = UnifiedDiff.Create(before is null ? string.Empty : YamlRenderer.Render(before), after is null ? string.Empty : YamlRenderer.Render(after), $"{obj.Key}@{from}", $"{obj.Key}@{to}");
        if (diff.Length == 0)
        {
            html.Add($"<p id=\"diff\">Versions {from} and {to} are the same.</p>\n</section>\n");
            return;
        }

        html.Add($"<pre class=\"diff\" id=\"diff\" aria-label=\"Diff from version {from} to version {to}\">");
        foreach (var line in diff.Split('\n'))
        {
            var css = line.StartsWith("@@", StringComparison.Ordinal) ? "hunk"
                : line.StartsWith("+++", StringComparison.Ordinal) || line.StartsWith("---", StringComparison.Ordinal) ? "hunk"
                : line.StartsWith('+') ? "add" : line.StartsWith('-') ? "del" : null;
            if (css is null)
            {
                html.Add($"{line}\n");
            }
            else
            {
                html.Add($"<span class=\"{new Raw(css)}\">{line}</span>");
            }
        }

        html.Add($"</pre>\n</section>\n");
    }

    private static void RenderBlame(Html html, ObjectRef obj, IReadOnlyList<VersionRecord> all, JsonObject current, bool mask)
    {
        html.Add($"""
            <section class="card" aria-labelledby="blame-h">
            <h2 id="blame-h">Blame</h2>
            <p class="muted">Which changer last set each field (<code>gitorch blame {obj.Kind.ToLowerInvariant()}/{obj.Name}{(obj.Namespace.Length > 0 ? " -n " + obj.Namespace : string.Empty)} FIELD</code>).</p>
            <table class="stack" id="blame">
            <thead><tr><th scope="col">Field</th><th scope="col">Value</th><th scope="col">Version</th><th scope="col">Changer</th></tr></thead>
            <tbody>
            """);
        foreach (var (path, value) in Leaves(current, new StringBuilder()).Where(l => !l.Path.StartsWith("apiVersion", StringComparison.Ordinal)).Take(500))
        {
            var setter = Blame.LastSetter(all, path);
            var shown = mask && SecretMask.IsEnvValue(path) ? SecretMask.Hidden : YamlRenderer.Scalar(value);
            html.Add($"""
                <tr data-field="{path}"><td data-label="Field"><code>{path}</code></td><td data-label="Value"><code>{shown}</code></td>
                <td data-label="Version">{(setter is null ? "before the oldest kept version" : setter.Version.ToString(System.Globalization.CultureInfo.InvariantCulture))}</td>
                <td data-label="Changer"><code>{setter?.Changer ?? "-"}</code></td></tr>
                """);
        }

        html.Add($"</tbody>\n</table>\n</section>\n");
    }

    private static void RenderRollback(Html html, ObjectRef obj, IReadOnlyList<VersionRecord> all)
    {
        html.Add($"""
            <section class="card" aria-labelledby="rollback-h">
            <h2 id="rollback-h">Rollback</h2>
            <p>A rollback writes version N's Git-owned fields back into the config repo as a commit on a new branch
            (<code>rollback/{obj.Name}-vN</code>; add <code>--commit</code> to commit on the current branch). Run it in a clone of the config repo,
            then push and merge it like any change. The web view never writes.</p>
            <table class="stack" id="rollback">
            <thead><tr><th scope="col">Version</th><th scope="col">Changer</th><th scope="col">Command</th></tr></thead>
            <tbody>
            """);
        foreach (var v in all.Where(v => !v.Deleted).Reverse().Take(50))
        {
            html.Add($"<tr><td data-label=\"Version\">{v.Version}</td><td data-label=\"Changer\"><code>{v.Changer}</code></td><td data-label=\"Command\"><code class=\"cmd\">{RollbackCommand(obj, v.Version)}</code></td></tr>\n");
        }

        html.Add($"</tbody>\n</table>\n</section>\n");
    }

    /// <summary>The exact command line, each argument quoted for a POSIX shell when it needs it.</summary>
    public static string RollbackCommand(ObjectRef obj, int version)
    {
        var args = new List<string> { "gitorch", "rollback", $"{obj.Kind.ToLowerInvariant()}/{obj.Name}", "--to", version.ToString(System.Globalization.CultureInfo.InvariantCulture) };
        if (obj.Namespace.Length > 0)
        {
            args.Add("-n");
            args.Add(obj.Namespace);
        }

        return string.Join(' ', args.Select(ShellQuote));
    }

    internal static string ShellQuote(string arg) =>
        arg.Length > 0 && arg.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or '/' or ':' or '@' or '=')
            ? arg
            : "'" + arg.Replace("'", "'\\''", StringComparison.Ordinal) + "'";

    private static IEnumerable<(string Path, JsonNode? Value)> Leaves(JsonNode? token, StringBuilder path)
    {
        switch (token)
        {
            case JsonObject o:
                foreach (var p in o)
                {
                    var length = path.Length;
                    if (path.Length > 0)
                    {
                        path.Append('.');
                    }

                    path.Append(p.Key);
                    foreach (var leaf in Leaves(p.Value, path))
                    {
                        yield return leaf;
                    }

                    path.Length = length;
                }

                break;
            case JsonArray a:
                for (var i = 0; i < a.Count; i++)
                {
                    var length = path.Length;
                    path.Append('[').Append(i).Append(']');
                    foreach (var leaf in Leaves(a[i], path))
                    {
                        yield return leaf;
                    }

                    path.Length = length;
                }

                break;
            default:
                yield return (path.ToString(), token);
                break;
        }
    }

    private static Raw Selected(bool yes) => new(yes ? " selected" : string.Empty);

    private static Raw VersionSelect(string name, string label, IReadOnlyList<VersionRecord> all, int selected)
    {
        var html = new Html().Add($"<div class=\"field\"><label for=\"f-{name}\">{label}</label><select id=\"f-{name}\" name=\"{name}\">\n");
        foreach (var v in all.Reverse())
        {
            html.Add($"<option value=\"{v.Version}\"{Selected(v.Version == selected)}>{v.Version} — {v.Changer}</option>\n");
        }

        return Raw.Of(html.Add($"</select></div>"));
    }
}
