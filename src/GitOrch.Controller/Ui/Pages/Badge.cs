namespace GitOrch.Controller.Ui.Pages;

/// <summary>A state or phase as a coloured badge; the word is always there (colour is never the only signal).</summary>
internal static class Badge
{
    public static Raw Of(string? state)
    {
        var text = state ?? "Pending";
        var css = text.ToLowerInvariant() switch
        {
            "running" or "done" or "applied" or "ready" or "succeeded" => "b-ok",
            "pending" or "waiting" => "b-warn",
            "skipped" => "b-skip",
            "crashloop" or "failed" or "rejected" or "timed-out" or "dependency-failed" or "not ready" or "dead" => "b-bad",
            _ => "b-run",
        };
        return Raw.Of(new Html().Add($"<span class=\"badge {new Raw(css)}\">{text}</span>"));
    }
}
