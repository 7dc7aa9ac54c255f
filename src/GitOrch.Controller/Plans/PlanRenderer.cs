using System.Text;
using System.Text.Json;
using GitOrch.Core.Diagnostics;

namespace GitOrch.Controller.Plans;

/// <summary>Renders a plan for a terminal (Nomad-style), for a pull request (Markdown), or as JSON.</summary>
public static class PlanRenderer
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static string Text(Plan plan)
    {
        var text = new StringBuilder();
        if (!plan.Valid)
        {
            text.Append($"Head {plan.Head[..12]} is invalid; merging it would be rejected:\n");
            foreach (var d in plan.Diagnostics.Where(d => d.IsError))
            {
                text.Append($"  {d}\n");
            }

            return text.ToString();
        }

        if (!plan.HasChanges)
        {
            return $"No changes: {plan.Head[..12]} declares the same objects as {plan.Base[..12]}.\n";
        }

        foreach (var obj in plan.Objects)
        {
            text.Append($"{obj.Action} {obj.Display}\n");
            foreach (var field in obj.Fields)
            {
                text.Append(field.Before is null ? $"    + {field.Path}: {field.After}\n"
                    : field.After is null ? $"    - {field.Path}: {field.Before}\n"
                    : $"    ~ {field.Path}: {field.Before} => {field.After}\n");
            }

            if (obj.Pods.Count > 0)
            {
                text.Append("    Pods:\n");
                foreach (var pod in obj.Pods)
                {
                    text.Append($"      {pod.Description}\n");
                }
            }
        }

        text.Append('\n');
        text.Append(plan.Security.Count == 0 ? "Security: no new weakenings.\n" : "Security: adds weakenings (each permitted by a ClusterPolicy exception):\n");
        foreach (var note in plan.Security)
        {
            text.Append($"  {note.Object}: {note.Field} {note.What} (exception {note.Exception})\n");
        }

        text.Append(plan.Approvals.Count == 0 ? "Approval: not needed.\n" : "Approval: NEEDED before merging:\n");
        foreach (var approval in plan.Approvals)
        {
            text.Append($"  {approval.Message}\n");
        }

        text.Append('\n').Append(Summary(plan)).Append('\n');
        return text.ToString();
    }

    public static string Markdown(Plan plan)
    {
        var md = new StringBuilder();
        md.Append($"### gitorch plan `{plan.Base[..12]}..{plan.Head[..12]}`\n\n");
        if (!plan.Valid)
        {
            md.Append(":x: **Head is invalid**: merging it would be rejected.\n\n");
            foreach (var d in plan.Diagnostics.Where(d => d.IsError))
            {
                md.Append($"- `{d.File}:{d.Line}:{d.Column}` **{d.Code}** {Escape(d.Message)}\n");
            }

            return md.ToString();
        }

        if (!plan.HasChanges)
        {
            return md.Append("No changes to the cluster.\n").ToString();
        }

        md.Append("| | Object | Changes |\n|---|---|---|\n");
        foreach (var obj in plan.Objects)
        {
            var changes = obj.Fields.Count == 0 ? (obj.Action == "+" ? "created" : "removed")
                : string.Join("<br>", obj.Fields.Select(f => $"`{f.Path}`: {Code(f.Before)} → {Code(f.After)}"));
            md.Append($"| {obj.Action} | {obj.Display} | {changes} |\n");
        }

        foreach (var obj in plan.Objects.Where(o => o.Pods.Count > 0))
        {
            md.Append($"\n**Pods of {obj.Display}**\n\n");
            foreach (var pod in obj.Pods)
            {
                md.Append($"- {Escape(pod.Description)}\n");
            }
        }

        md.Append("\n**Security:** ");
        md.Append(plan.Security.Count == 0 ? "no new weakenings.\n" : "adds weakenings (each permitted by a ClusterPolicy exception):\n\n");
        foreach (var note in plan.Security)
        {
            md.Append($"- {note.Object}: `{note.Field}` {Escape(note.What)} (exception `{note.Exception}`)\n");
        }

        md.Append("\n**Approval:** ");
        md.Append(plan.Approvals.Count == 0 ? "not needed.\n" : ":warning: needed before this can apply:\n\n");
        foreach (var approval in plan.Approvals)
        {
            md.Append($"- {Escape(approval.Message)}\n");
        }

        md.Append($"\n{Summary(plan)}\n");
        return md.ToString();
    }

    public static string JsonText(Plan plan) => JsonSerializer.Serialize(new
    {
        plan.Base,
        plan.Head,
        plan.Valid,
        plan.HasChanges,
        Diagnostics = plan.Diagnostics.Select(d => new { d.File, d.Line, d.Column, Severity = d.IsError ? "error" : "warning", d.Code, d.Message, Object = d.Object?.Key }),
        plan.Objects,
        plan.Security,
        plan.Approvals,
    }, Json);

    public static string Summary(Plan plan)
    {
        var add = plan.Objects.Count(o => o.Action == "+");
        var change = plan.Objects.Count(o => o.Action == "~");
        var remove = plan.Objects.Count(o => o.Action == "-");
        var moves = plan.Objects.Sum(o => o.Pods.Count);
        return $"Plan: {add} to add, {change} to change, {remove} to remove; {moves} generated pod(s) change; {(plan.Approvals.Count == 0 ? "no approval needed" : $"{plan.Approvals.Count} step(s) need approval")}.";
    }

    private static string Code(string? value) => value is null ? "_none_" : $"`{value.Replace("`", "'", StringComparison.Ordinal).Replace("|", "\\|", StringComparison.Ordinal)}`";

    private static string Escape(string text) => text.Replace("|", "\\|", StringComparison.Ordinal).Replace("<", "&lt;", StringComparison.Ordinal);
}
