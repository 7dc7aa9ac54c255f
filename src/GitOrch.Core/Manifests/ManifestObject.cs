using GitOrch.Core.Diagnostics;

namespace GitOrch.Core.Manifests;

/// <summary>The common shape of every GitOrch object: apiVersion, kind, metadata.</summary>
public abstract record ManifestObject
{
    public const string ApiVersionV1 = "gitorch.dev/v1";
    public const string DefaultNamespace = "default";

    public required string ApiVersion { get; init; }

    public required string Kind { get; init; }

    public required ObjectMeta Metadata { get; init; }

    /// <summary>Whether objects of this kind live in a namespace.</summary>
    public abstract bool IsNamespaced { get; }

    public string Namespace => IsNamespaced ? Metadata.Namespace ?? DefaultNamespace : string.Empty;

    public ObjectRef Ref => new(Kind, Namespace, Metadata.Name);
}
