using GitOrch.Core.Manifests;

namespace GitOrch.Cli.Client;

/// <summary>An object named on the command line: <c>KIND/NAME</c> (or <c>KIND/NAMESPACE/NAME</c>), with -n for the namespace.</summary>
internal sealed record ObjectName(string Kind, string Namespace, string Name)
{
    public static ObjectName Parse(string text, string? ns)
    {
        var parts = text.Split('/');
        if (parts.Length is < 2 or > 3 || parts.Any(p => p.Length == 0))
        {
            throw new CliException($"\"{text}\" is not KIND/NAME (for example pod/web-0 or Pod/demo/web-0)");
        }

        var kind = Kinds.Resolve(parts[0]) ?? throw new CliException($"unknown kind \"{parts[0]}\"; use one of: {string.Join(", ", Kinds.All)}");
        var name = parts[^1];
        var namespaceFromName = parts.Length == 3 ? parts[1] : null;
        if (namespaceFromName is not null && ns is not null && namespaceFromName != ns)
        {
            throw new CliException($"\"{text}\" names namespace {namespaceFromName}, but -n says {ns}; give one");
        }

        var resolvedNs = Kinds.IsNamespaced(kind) ? namespaceFromName ?? ns ?? ManifestObject.DefaultNamespace : string.Empty;
        return new ObjectName(kind, resolvedNs, name);
    }

    /// <summary>The API path of the object, with its namespace as a query.</summary>
    public string Path(string suffix = "", string query = "")
    {
        var q = $"namespace={Uri.EscapeDataString(Namespace)}{(query.Length > 0 ? "&" + query : string.Empty)}";
        return $"api/v1/objects/{Kind}/{Uri.EscapeDataString(Name)}{suffix}?{q}";
    }

    public string Display => Namespace.Length == 0 ? $"{Kind} {Name}" : $"{Kind} {Namespace}/{Name}";
}
