using GitOrch.Core.Manifests;

namespace GitOrch.Core.Loading;

/// <summary>
/// How much input GitOrch reads: bytes per manifest file, bytes of JSON per object, and nodes an
/// alias may expand a YAML document to. The defaults hold with or without a ClusterPolicy; a
/// policy's <c>spec.limits</c> may move the byte limits up to the ceilings below.
/// </summary>
public sealed record InputLimits(long MaxFileBytes, long MaxObjectBytes)
{
    public const long DefaultMaxFileBytes = 1024 * 1024;
    public const long DefaultMaxObjectBytes = 256 * 1024;

    /// <summary>The most a policy may allow for one file (the schema's maximum).</summary>
    public const long FileBytesCeiling = 16 * 1024 * 1024;

    /// <summary>The most a policy may allow for one object; also where parsing stops, whatever the policy.</summary>
    public const long ObjectBytesCeiling = 4 * 1024 * 1024;

    /// <summary>Nodes a YAML document may have once its aliases are expanded; counted while the tree is built.</summary>
    public const int MaxAliasNodes = 10_000;

    public static InputLimits Default { get; } = new(DefaultMaxFileBytes, DefaultMaxObjectBytes);

    /// <summary>The limits a ClusterPolicy sets (each absent value keeps its default).</summary>
    public static InputLimits Of(ClusterPolicy? policy) => policy?.Spec.Limits is not { } limits
        ? Default
        : new InputLimits(
            Math.Min(limits.MaxFileBytes ?? DefaultMaxFileBytes, FileBytesCeiling),
            Math.Min(limits.MaxObjectBytes ?? DefaultMaxObjectBytes, ObjectBytesCeiling));

    /// <summary>The limits of the first ClusterPolicy among loaded files (the defaults when there is none).</summary>
    public static InputLimits Of(IEnumerable<FileLoadResult> files) =>
        Of(files.SelectMany(f => f.Objects).Select(o => o.Object).OfType<ClusterPolicy>().FirstOrDefault());
}
