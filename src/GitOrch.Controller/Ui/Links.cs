using GitOrch.Core.Diagnostics;

namespace GitOrch.Controller.Ui;

/// <summary>URLs of the web view's pages. Every part that comes from outside is percent-encoded.</summary>
internal static class Links
{
    /// <summary>Cluster-scoped objects have no namespace; their pages use this placeholder (never a DNS label).</summary>
    public const string NoNamespace = "_";

    public static string Overview => "/ui/";

    public static string Object(ObjectRef obj) => $"/ui/objects/{E(obj.Kind)}/{E(Ns(obj))}/{E(obj.Name)}";

    public static string Why(ObjectRef obj) => $"/ui/why/{E(obj.Kind)}/{E(Ns(obj))}/{E(obj.Name)}";

    public static string Commit(string sha) => $"/ui/commits/{E(sha)}";

    public static string Objects(string? kind = null, string? ns = null, string? phase = null, string? node = null)
    {
        var query = new List<string>();
        Add(query, "kind", kind);
        Add(query, "namespace", ns);
        Add(query, "phase", phase);
        Add(query, "node", node);
        return "/ui/objects" + (query.Count > 0 ? "?" + string.Join('&', query) : string.Empty);
    }

    public static string Ns(ObjectRef obj) => obj.Namespace.Length == 0 ? NoNamespace : obj.Namespace;

    private static void Add(List<string> query, string key, string? value)
    {
        if (!string.IsNullOrEmpty(value))
        {
            query.Add($"{key}={E(value)}");
        }
    }

    private static string E(string part) => Uri.EscapeDataString(part);
}
