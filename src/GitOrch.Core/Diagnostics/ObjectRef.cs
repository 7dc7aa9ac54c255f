namespace GitOrch.Core.Diagnostics;

/// <summary>Identifies one object: its kind, namespace (empty for cluster-scoped kinds) and name.</summary>
public sealed record ObjectRef(string Kind, string Namespace, string Name)
{
    /// <summary>"Pod demo/web" or "ClusterPolicy cluster": the form used in messages.</summary>
    public string Display => Namespace.Length == 0 ? $"{Kind} {Name}" : $"{Kind} {Namespace}/{Name}";

    /// <summary>"Pod/demo/web" or "ClusterPolicy/cluster": the form used in keys, trailers and JSON.</summary>
    public string Key => Namespace.Length == 0 ? $"{Kind}/{Name}" : $"{Kind}/{Namespace}/{Name}";

    public override string ToString() => Key;
}
