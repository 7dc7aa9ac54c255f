namespace GitOrch.History;

/// <summary>Who made a change: a person through Git (external) or a control loop (mechanical).</summary>
public enum ChangeKind
{
    External,
    Mechanical,
}

/// <summary>Changer names: <c>git/&lt;author email&gt;</c> and <c>control-loop/&lt;name&gt;</c>.</summary>
public static class Changers
{
    public static string Git(string email) => $"git/{email}";

    public static string Loop(string name) => $"control-loop/{name}";

    public static string ToText(this ChangeKind kind) => kind == ChangeKind.External ? "external" : "mechanical";

    public static ChangeKind Parse(string text) => text == "external" ? ChangeKind.External : ChangeKind.Mechanical;
}
