namespace GitOrch.Import;

/// <summary>A GitOrch manifest made from one Kubernetes object: where it came from and its YAML (with a header comment).</summary>
public sealed record ImportedObject(string SourceFile, string SourceObject, string Kind, string Namespace, string Name, string Yaml)
{
    /// <summary>Its file under the output folder: <c>NAMESPACE/kind-NAME.yaml</c>.</summary>
    public string RelativePath => Path.Combine(Namespace, $"{Kind.ToLowerInvariant()}-{Name}.yaml");
}
