namespace GitOrch.Controller.Ui;

/// <summary>Markup the view wrote itself, inserted without encoding. Never wrap text that came from outside.</summary>
internal readonly record struct Raw(string Value)
{
    public static Raw Of(Html html) => new(html.ToString());
}
